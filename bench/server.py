"""The real dashboard, started as a person starts it (``streamlit run app.py``) on a free port of
this machine (or the one given: the sign-in's redirect address names it before the start), for
the benchmarks and the end-to-end tests: waits until it answers its health check, stops it
afterwards, and keeps its log. A secrets file (``bench.oidc`` writes one) puts it in the shared
mode, where people sign in.

Must not: talk to any address but the loopback one it serves on.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 90


@dataclass(frozen=True)
class Server:
    """A running dashboard: its address (http and websocket), process and log."""

    url: str
    websocket: str
    pid: int
    log: Path


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@contextmanager
def dashboard(database: Path, log: Path, *, host: str = "localhost", environment: dict | None = None,
              options: tuple[str, ...] = (), port: int | None = None, secrets: Path | None = None) -> Iterator[Server]:
    """``streamlit run app.py`` over the store ``database`` (a missing one is created with the
    example inventory, as on a first start), on ``port`` (a free one if None), with more
    ``environment`` variables and Streamlit ``options``; ``secrets``: the secrets file it reads
    instead of .streamlit/secrets.toml (an ``[auth]`` section there is the shared mode). Its
    output goes to ``log``. Raises ``RuntimeError`` (with the log's end) if it does not answer
    within 90 s."""
    port = port or free_port("127.0.0.1")
    if secrets is not None:
        options = ("--secrets.files", str(secrets), *options)
    variables = os.environ | {"FOOTPRINT_DB": str(database), "PYTHONUNBUFFERED": "1"} | (environment or {})
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless",
             "true", *options], cwd=ROOT, env=variables, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(f"http://{host}:{port}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"le tableau de bord n'a pas démarré :\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield Server(f"http://{host}:{port}", f"ws://{host}:{port}/_stcore/stream", process.pid, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
