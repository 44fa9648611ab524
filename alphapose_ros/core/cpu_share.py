"""How much of a small CPU a background stage takes: its library threads and its thread's priority.

On a 2-core robot the detector (slow, and with crop tracking needed only for new people) competes with
the pose network that must answer every frame; one detector thread at a lower priority lets the pose
stage keep its time while the detector still uses whatever CPU is left.
"""
from __future__ import annotations

import os
import threading


def limit_opencv_threads(n: int) -> None:
    """OpenCV's worker threads (process-wide: every OpenCV call of the process); n <= 0 leaves the default."""
    if n > 0:
        import cv2

        cv2.setNumThreads(int(n))


def lower_thread_priority(niceness: int) -> str | None:
    """Lower the calling thread's CPU priority by `niceness` (Linux: a thread has its own nice value).
    Returns None when done (or nothing asked), else why it could not be (the caller logs it)."""
    if niceness <= 0:
        return None
    if not hasattr(os, "setpriority"):
        return "thread priorities are not available on this system"
    tid = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + int(niceness)))
    except OSError as e:
        return f"cannot lower the thread's priority: {e}"
    return None
