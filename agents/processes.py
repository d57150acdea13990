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
        [sys.executable, "-m", "pipeline.cli", *args],
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
