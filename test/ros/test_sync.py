"""Exact-stamp pairing of images and detections, with bounded buffers."""
import pytest

from alphapose_ros.ros.sync import StampPairer


def test_pairs_by_stamp_in_either_arrival_order_and_drops_orphans():
    pairs = []
    p = StampPairer(lambda a, b: pairs.append((a, b)), capacity=3)
    p.add_first("img1", (1, 0))
    p.add_second("det1", (1, 0))
    p.add_second("det2", (2, 0))
    p.add_first("img2", (2, 0))
    p.add_second("det_unknown", (9, 0))  # a detection for an image never seen
    for i in range(3, 8):
        p.add_first(f"img{i}", (i, 0))
    assert pairs == [("img1", "det1"), ("img2", "det2")]
    assert p.dropped >= 2 and len(p._a) <= 3


def test_older_unmatched_halves_are_dropped_once_a_newer_pair_completes():
    pairs = []
    p = StampPairer(lambda a, b: pairs.append((a, b)))
    p.add_first("img1", (1, 0))
    p.add_first("img2", (2, 0))
    p.add_second("det2", (2, 0))
    assert pairs == [("img2", "det2")] and p.dropped == 1 and not p._a


@pytest.mark.fault("offline-stamp-order")
def test_lossless_pairs_backwards_and_repeated_stamps_first_in_first_out():
    pairs = []
    p = StampPairer(lambda a, b: pairs.append((a, b)), capacity=100, lossless=True)
    for name, k in (("a", 3), ("b", 2), ("c", 1), ("d", 2)):  # backwards, and stamp 2 twice
        p.add_first(f"img_{name}", (k, 0))
    for name, k in (("a", 3), ("b", 2), ("c", 1), ("d", 2)):
        p.add_second(f"det_{name}", (k, 0))
    assert pairs == [(f"img_{n}", f"det_{n}") for n in "abcd"] and p.dropped == 0


@pytest.mark.fault("live-duplicate-stamps")
def test_live_never_pairs_a_stamp_seen_twice():
    pairs, reasons = [], []
    p = StampPairer(lambda a, b: pairs.append((a, b)), capacity=10, on_drop=reasons.append)
    p.add_first("img5a", (5, 0))
    p.add_first("img5b", (5, 0))  # same stamp again: which image would the boxes belong to?
    p.add_second("det5", (5, 0))
    p.add_first("img6", (6, 0))
    p.add_second("det6", (6, 0))
    p.add_first("img6again", (6, 0))  # after it paired
    assert pairs == [("img6", "det6")] and p.dropped == 4 and len(reasons) == 4


def test_nearest_stamp_pairs_within_the_slop_and_never_loses_a_pose_message():
    from alphapose_ros.ros.sync import NearestStamp

    pairs, alone = [], []
    p = NearestStamp(lambda m, s: pairs.append((m, s)), lambda m, why: alone.append((m, why)), slop=0.02,
                     capacity=2)
    p.add_side("d1", 1.000)
    p.add_main("p1", 1.015)          # within 20 ms of d1
    p.add_main("p2", 1.100)          # waits: its depth is not there yet
    p.add_side("d2", 1.090)
    p.add_side("d3", 1.105)          # nearer to p2 than d2, but p2 paired on d2's arrival already
    p.add_main("p3", 1.050)          # depth has moved past it with nothing within 20 ms
    p.add_main("p4", 2.0)
    p.add_main("p5", 2.1)
    p.add_main("p6", 2.2)            # the queue holds 2: p4 gives up waiting
    assert pairs == [("p1", "d1"), ("p2", "d2")]
    assert [m for m, _ in alone] == ["p3", "p4"]
    assert "within 0.02 s" in alone[0][1] and "queue full" in alone[1][1]


def test_nearest_stamp_with_zero_slop_pairs_the_same_stamp_only():
    from alphapose_ros.ros.sync import NearestStamp

    pairs, alone = [], []
    p = NearestStamp(lambda m, s: pairs.append((m, s)), lambda m, why: alone.append(m), slop=0.0)
    p.add_side("d1", 5.0)
    p.add_main("p0", 5.001)          # waits: a depth image stamped 5.001 may come
    p.add_main("p1", 5.0)
    assert pairs == [("p1", "d1")] and alone == []
    p.add_side("d2", 5.002)          # it did not: p0 goes on without depth
    assert alone == ["p0"]
