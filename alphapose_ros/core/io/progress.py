"""A one-line progress bar on stderr (frames done, rate, time left), redrawn at most 4x a second."""
from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: int, label: str = "frames", stream=None, enabled: bool | None = None):
        self.total, self.label = max(0, int(total)), label
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.done = 0
        self.note = ""  # appended to the line (e.g. "3/20 bags")
        self.t0 = time.perf_counter()
        self._last = 0.0

    def line(self) -> str:
        dt = time.perf_counter() - self.t0
        rate = self.done / dt if dt > 0 else 0.0
        if self.total:
            frac = min(self.done / self.total, 1.0)
            bar = "#" * int(frac * 30)
            left = (self.total - self.done) / rate if rate > 0 else float("nan")
            eta = f"{int(left // 60)}:{int(left % 60):02d}" if left == left else "?"
            line = f"[{bar:<30}] {self.done}/{self.total} {self.label} {rate:.1f}/s, {eta} left"
        else:
            line = f"{self.done} {self.label} {rate:.1f}/s"
        return f"{line}, {self.note}" if self.note else line

    def update(self, n: int = 1) -> None:
        self.done += n
        now = time.perf_counter()
        if self.enabled and (now - self._last > 0.25 or self.done == self.total):
            self._last = now
            self.stream.write("\r" + self.line())
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r" + self.line() + "\n")
            self.stream.flush()
