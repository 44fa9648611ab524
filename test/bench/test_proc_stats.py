"""Per-process figures from /proc: CPU time that grows with work, peak memory at or above the current."""
import os
import subprocess
import sys

from alphapose_ros.bench.proc_stats import cpu_seconds, peak_rss_mb, rss_mb


def test_cpu_seconds_grow_with_work_done_by_the_process():
    before = cpu_seconds(os.getpid())
    x = 0
    for i in range(3_000_000):
        x += i * i
    assert cpu_seconds(os.getpid()) - before > 0.05


def test_peak_rss_is_at_least_the_current_rss():
    assert peak_rss_mb(os.getpid()) >= rss_mb(os.getpid()) > 10


def test_a_finished_process_reads_as_zero():
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    assert (rss_mb(p.pid), peak_rss_mb(p.pid), cpu_seconds(p.pid)) == (0.0, 0.0, 0.0)
