"""The overload-freeze count: what a demo run printed, and a real (small) run counted."""
import os

import pytest

from alphapose_ros.bench.overload_freezes import main, parse_run

SUMMARY = """camera frames published: 900 in 35.2 s
tracked pose messages on /poses: 11 (889 frames dropped by the live queues), 0.00 people per frame, 0 track IDs
latency image stamp -> /poses: p50 43 ms, p99 158 ms, max 169 ms
longest wait for an answer (from the first image to the last, between answers): 33.48 s
"""


def test_a_run_is_read_from_what_the_demo_printed():
    r = parse_run(SUMMARY)
    assert (r.answered, r.longest_wait_s) == (11, 33.48)


def test_a_run_whose_graph_was_restarted_is_read_with_the_answers_after_it():
    r = parse_run(SUMMARY + "graph processes restarted: 2 (ended by "
                  "themselves: a freeze the watchdog ended, or a crash; see demo/graph.log); answers after the last "
                  "restart: 373\n")
    assert (r.answered, r.restarts, r.after_restart) == (11, 2, 373)
    assert (parse_run(SUMMARY).restarts, parse_run(SUMMARY).after_restart) == (0, 0)


def test_a_run_with_no_answer_waits_for_ever_and_one_without_a_summary_is_not_a_run():
    r = parse_run("tracked pose messages on /poses: 0 (900 frames dropped by the live queues)\n")
    assert r.answered == 0 and r.longest_wait_s == float("inf")
    assert parse_run("the graph did not come up (see demo/graph.log)\n") is None


@pytest.mark.ros
def test_a_small_real_run_is_counted_and_not_frozen(vision_msgs, mediapipe_models, footage, monkeypatch, capsys):
    monkeypatch.setenv("ROS_DOMAIN_ID", str(150 + os.getpid() % 30))
    assert main(["--video", str(footage / "vtest.avi"), "--runs", "1", "--frames", "8", "--rate", "4",
                 "--width", "0"]) == 0
    out = capsys.readouterr().out
    assert "run 1: " in out and "frozen: 0 of 1 runs" in out
