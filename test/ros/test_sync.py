"""Exact-stamp pairing of images and detections, with bounded buffers."""
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
