"""A background stage's share of the CPU: OpenCV's thread count and one thread's priority."""
import os
import threading

import cv2

from alphapose_ros.core.cpu_share import limit_opencv_threads, lower_thread_priority


def test_opencv_threads_are_capped_and_zero_leaves_them():
    before = cv2.getNumThreads()
    try:
        limit_opencv_threads(1)
        assert cv2.getNumThreads() == 1
        limit_opencv_threads(0)
        assert cv2.getNumThreads() == 1
    finally:
        cv2.setNumThreads(before)


def test_only_the_calling_thread_is_lowered():
    base = os.getpriority(os.PRIO_PROCESS, 0)
    seen = {}

    def work():
        seen["why"] = lower_thread_priority(3)
        seen["nice"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert seen == {"why": None, "nice": min(19, base + 3)}
    assert os.getpriority(os.PRIO_PROCESS, 0) == base  # the process (main thread) keeps its priority
    assert lower_thread_priority(0) is None and os.getpriority(os.PRIO_PROCESS, 0) == base
