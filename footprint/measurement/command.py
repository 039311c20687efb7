"""Running a command under the tracker (``python -m footprint measure -- COMMANDE``), its output
untouched, and what happens when it is stopped.

A measured command stopped by Ctrl-C, SIGTERM or SIGHUP (a closed terminal) still gets its
partial measurement recorded (« interrompu (signal SIGTERM) »): the signal is passed on to the
command, which has ``STOP_GRACE_S`` seconds to end before it is killed (it must not go on
unmeasured), and the exit status is 128 + the signal's number. A command that cannot start
gets 127 (not found) or 126 (not executable), its (short) measurement recorded all the same.

Must not: change the command's input or output, or leave it running unmeasured.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from footprint.measurement.tracker import Measurement

# Signals that stop a measured command as Ctrl-C does (SIGHUP: the terminal was closed), and
# the time the command has to end once it is stopped (signal passed on, or Ctrl-C), before it is
# killed.
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
STOP_GRACE_S = 10.0


class _StopSignals:
    """While a measured command runs, SIGTERM and SIGHUP no longer end this process at once: the
    first one is remembered and passed on to the command, which is killed if it has not ended
    within ``STOP_GRACE_S``; the measurement is then recorded before the handlers are restored.
    A handler only takes note and sends signals (it never raises), so it cannot cut the start of
    the command or the recording in two. A signal this process ignores (``nohup``) stays ignored;
    outside the main thread nothing is changed (Python allows signal handlers only there)."""

    def __init__(self) -> None:
        self.received: int | None = None
        self.killed = False
        self._process: subprocess.Popen | None = None
        self._previous: dict[int, object] = {}
        self._timer: threading.Timer | None = None

    def __enter__(self) -> _StopSignals:
        if threading.current_thread() is threading.main_thread():
            for number in STOP_SIGNALS:
                # An ignored signal stays ignored (``nohup``: the job must survive the terminal).
                if signal.getsignal(number) is not signal.SIG_IGN:
                    self._previous[number] = signal.signal(number, self._on_signal)
        return self

    def __exit__(self, *exc_info) -> bool:
        if self._timer is not None:
            self._timer.cancel()
        for number, previous in self._previous.items():
            signal.signal(number, previous)
        return False

    def _on_signal(self, number: int, frame) -> None:
        if self.received is None:
            self.received = number
        self._forward()

    def attach(self, process: subprocess.Popen) -> None:
        self._process = process
        if self.received is not None:  # the signal came while the command was starting
            self._forward()

    def _forward(self) -> None:
        process = self._process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(OSError):  # it may have ended meanwhile
            process.send_signal(self.received)
        if self._timer is None:
            self._timer = threading.Timer(STOP_GRACE_S, self._kill)
            self._timer.daemon = True
            self._timer.start()

    def _kill(self) -> None:
        process = self._process
        if process is not None and process.returncode is None:
            self.killed = True
            with contextlib.suppress(OSError):
                process.kill()

    @property
    def detail(self) -> str:
        name = signal.Signals(self.received).name
        forced = f" ; traitement arrêté de force après {STOP_GRACE_S:g} s" if self.killed else ""
        return f"interrompu (signal {name}){forced}"


def run_command(command: Sequence[str], measurement: Measurement) -> int:
    """Run ``command`` under the tracker, output untouched; return its exit code (128 + signal
    number when killed). A command that cannot start, is killed, or is interrupted (Ctrl-C,
    SIGTERM, SIGHUP) still gets its partial measurement recorded; SIGTERM and SIGHUP are passed
    on to the command, and 128 + their number is returned."""
    measurement.command = " ".join(command)
    with _StopSignals() as stop, measurement:
        if stop.received is not None:  # stopped while the tracker was starting: the command never runs
            measurement.exit_code = 128 + stop.received
            measurement.status_detail = stop.detail + " avant le lancement de la commande"
            return measurement.exit_code
        try:
            process = subprocess.Popen(list(command))
        except FileNotFoundError:
            measurement.exit_code = 127
            measurement.status_detail = "commande introuvable"
            return 127
        except PermissionError:
            measurement.exit_code = 126
            measurement.status_detail = "commande non exécutable"
            return 126
        stop.attach(process)
        try:
            code = process.wait()
        except KeyboardInterrupt:
            # Ctrl-C reached the command too (same terminal): let it finish, then record.
            with contextlib.suppress(Exception):
                process.wait(timeout=STOP_GRACE_S)
            if process.poll() is None:
                process.kill()
                process.wait()
            measurement.exit_code = 130
            measurement.status_detail = "interrompu (Ctrl-C)"
            return 130
        if stop.received is not None:
            measurement.exit_code = 128 + stop.received
            measurement.status_detail = stop.detail
            return measurement.exit_code
        if code < 0:
            signal_name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            measurement.status_detail = f"arrêté par le signal {signal_name}"
            code = 128 - code
        measurement.exit_code = code
        return code

