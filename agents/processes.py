"""Child ``wirefeed`` processes: started with a WIREFEED_* environment, stopped by whoever started them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def start_cli(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """``wirefeed ARGS`` as a child process, ``env`` on top of ours, output appended to ``log``."""
    handle = open(log, "ab")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(
        [sys.executable, "-m", "agents.cli", *args],
        env={**os.environ, **env}, cwd=str(REPO_ROOT),
        stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    handle.close()
    return proc


def stop_process(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout_s: float = 30.0) -> int:
    """Send ``sig`` (SIGKILL after ``timeout_s``) unless it already exited; return its exit code."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    return proc.returncode


def claim_worker_dir(data_dir: Path, slots: int = 64) -> tuple[Path, int]:
    """A state directory no other live worker uses: ``DATA_DIR/workers/N``, the lowest N free.

    Faust's RocksDB tables lock their files, so two workers on one machine (or two replicas
    sharing a container volume) need a directory each. The claim is an exclusive ``flock``
    held for the life of the process (returned fd; the kernel releases it when the process
    dies, even by SIGKILL), so a restarted worker takes back the same directory and its tables.
    """
    import fcntl

    root = data_dir / "workers"
    root.mkdir(parents=True, exist_ok=True)
    for slot in range(slots):
        fd = os.open(root / f"{slot}.lock", os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        (root / str(slot)).mkdir(exist_ok=True)
        return root / str(slot), fd
    raise RuntimeError(f"all {slots} worker state directories under {root} are in use")
