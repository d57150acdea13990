"""Each worker on a machine gets a state directory of its own (RocksDB allows one process per database)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from agents.worker import claim_state_dir


def test_workers_on_one_machine_take_different_slots_and_a_freed_slot_is_reused(tmp_path: Path) -> None:
    first, first_lock = claim_state_dir(tmp_path)
    second, second_lock = claim_state_dir(tmp_path)
    assert first != second and first.parent == second.parent == tmp_path / "workers"
    first_lock.close()  # the first worker ended (a lock goes with its process, however it ends)
    again, _lock = claim_state_dir(tmp_path)
    assert again == first
    second_lock.close()


def test_a_slot_held_by_another_process_is_not_taken(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from agents.worker import claim_state_dir; "
         f"slot, lock = claim_state_dir(__import__('pathlib').Path({str(tmp_path)!r})); print(slot, flush=True); "
         "time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        held = Path(holder.stdout.readline().strip())
        mine, _lock = claim_state_dir(tmp_path)
        assert held.name == "0" and mine != held
    finally:
        holder.kill()
        holder.wait()
