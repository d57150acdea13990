"""Every stateful path lives under WIREFEED_DATA_DIR, and workers on one machine never share state."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from agents.processes import claim_worker_dir
from pipeline.config import Settings


def test_reader_state_defaults_under_the_data_dir_not_the_working_dir(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).reader_state == tmp_path / "reader-state.json"
    os.environ["WIREFEED_DATA_DIR"] = str(tmp_path / "volume")
    try:
        assert Settings().reader_state == tmp_path / "volume" / "reader-state.json"
    finally:
        del os.environ["WIREFEED_DATA_DIR"]
    assert Settings(data_dir=tmp_path, reader_state=tmp_path / "x.json").reader_state == tmp_path / "x.json"


def test_every_path_setting_defaults_under_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    inputs = {"feeds_file"}  # read, never written: configuration, not state
    for name, value in settings:
        if isinstance(value, Path) and name not in inputs | {"data_dir"}:
            assert tmp_path in value.parents, f"{name} = {value} is outside WIREFEED_DATA_DIR"


def test_two_workers_claim_two_state_dirs_and_a_restart_takes_its_own_back(tmp_path: Path) -> None:
    first, fd1 = claim_worker_dir(tmp_path)
    second, fd2 = claim_worker_dir(tmp_path)
    assert first != second and first.is_dir() and second.is_dir()
    os.close(fd1)  # the first worker exits
    again, fd3 = claim_worker_dir(tmp_path)
    assert again == first
    os.close(fd2), os.close(fd3)


def test_a_killed_workers_claim_is_released_by_the_kernel(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from agents.processes import "
         "claim_worker_dir; print(claim_worker_dir(Path(sys.argv[1]))[0], flush=True); time.sleep(60)",
         str(tmp_path)], stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
    held = Path(holder.stdout.readline().strip())
    other, fd = claim_worker_dir(tmp_path)
    assert other != held
    holder.send_signal(signal.SIGKILL)
    holder.wait(30)
    mine, fd2 = claim_worker_dir(tmp_path)
    assert mine == held
    os.close(fd), os.close(fd2)
