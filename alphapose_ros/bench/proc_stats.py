"""Per-process figures read from /proc (Linux): resident and peak memory, CPU time. Used by
the benchmarks and the soak to report each graph process on its own."""
from __future__ import annotations

import os


def _status_mb(pid: int, field: str) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MB (0 when it is gone)."""
    return _status_mb(pid, "VmRSS:")


def peak_rss_mb(pid: int) -> float:
    """Peak resident set size of a process over its life in MB (0 when it is gone)."""
    return _status_mb(pid, "VmHWM:")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) in seconds (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()  # after "(comm)", which may hold spaces
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
