"""Ends a node process that has frozen, so that launch (respawn) or the runner (--respawn) starts it again.

The freeze it is for: C code that holds Python's GIL for good, as Fast DDS 3.2 did looping inside one image
`rcl_take` under camera overload until the nodes took images serialized (docs/ros.md); then no Python code
in the process runs again — not the stages, not a signal handler, not a watchdog thread. So the watchdog's
clock is CPython's faulthandler thread, which is C and needs no GIL: a Python thread re-arms it every
second; when it has not been able to for `timeout_s`, faulthandler writes every thread's stack to stderr
(the cause, for the log) and ends the process with exit code 1. It measures whether Python can run at all,
not how long a callback takes, so a slow model load or a long inference does not trip it; only C code
holding the GIL for `timeout_s` does.
"""
from __future__ import annotations

import faulthandler
import os
import sys
import threading

WATCHDOG_VAR = "ALPHAPOSE_ROS_WATCHDOG_S"
DEFAULT_TIMEOUT_S = 30.0
MAX_TIMEOUT_S = 3600.0


def timeout_from_env(env: dict | None = None) -> float:
    """The watchdog's timeout in seconds from ALPHAPOSE_ROS_WATCHDOG_S (unset: 30; 0: off); ValueError when
    it is not a number in [0, 3600] or is under 2 (the re-arming thread's second must fit well inside)."""
    raw = (os.environ if env is None else env).get(WATCHDOG_VAR, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{WATCHDOG_VAR}={raw!r}: seconds, a number (0: off)") from None
    if value != 0 and not 2.0 <= value <= MAX_TIMEOUT_S:
        raise ValueError(f"{WATCHDOG_VAR}={raw!r}: 0 (off) or 2 to {MAX_TIMEOUT_S:g} s")
    return value


class FreezeWatchdog:
    """While started, the process ends (exit 1, every thread's stack on stderr) once no Python thread has run for
    `timeout_s` (see the module's docstring)."""

    def __init__(self, timeout_s: float, stream=None):
        if timeout_s < 2.0:
            raise ValueError(f"watchdog timeout must be >= 2 s, got {timeout_s}")
        self.timeout_s = float(timeout_s)
        self._stream = stream if stream is not None else _real_stderr()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._arm()  # armed before the thread runs: a freeze from now on is caught
        self._thread = threading.Thread(target=self._rearm, name="freeze-watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Disarm (before a shutdown whose clean-up may rightly take long)."""
        self._stop.set()
        faulthandler.cancel_dump_traceback_later()
        if self._thread is not None:
            self._thread.join(2.0)

    def _arm(self) -> None:
        faulthandler.dump_traceback_later(self.timeout_s, exit=True, file=self._stream)

    def _rearm(self) -> None:
        while not self._stop.wait(1.0):
            self._arm()


def start_from_env(log=print) -> FreezeWatchdog | None:
    """The watchdog ALPHAPOSE_ROS_WATCHDOG_S asks for, started (None when 0: off); `log` says so once."""
    timeout = timeout_from_env()
    if timeout == 0:
        return None
    try:
        w = FreezeWatchdog(timeout)
    except OSError as e:  # no stderr with a file descriptor to write the stacks to
        log(f"freeze watchdog off: {e}")
        return None
    w.start()
    log(f"freeze watchdog: if no Python thread can run for {timeout:g} s this process ends with exit code 1 and "
        f"its stacks on stderr, for launch's respawn to restart it ({WATCHDOG_VAR}=0: off)")
    return w


def _real_stderr():
    """A stream with a file descriptor (pytest's captured stderr has none)."""
    for s in (sys.stderr, sys.__stderr__):
        try:
            if s is not None:
                s.fileno()
                return s
        except (AttributeError, OSError, ValueError):
            continue
    raise OSError("no stderr with a file descriptor")
