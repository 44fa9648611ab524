"""Association helpers match AlphaPose's iou_distance / linear_assignment vectors."""
import numpy as np
import pytest

from alphapose_ros.core.tracking.matching import iou_distance, linear_assignment, normalised_pose_distance


@pytest.mark.reference
def test_iou_distance_and_assignment_match_reference(reference):
    d = np.load(reference / "vectors/tracking/matching_helpers.npz")
    np.testing.assert_allclose(iou_distance(d["in_boxes_a_tlbr"], d["in_boxes_b_tlbr"]), d["out_iou_distance"],
                               rtol=1e-9, atol=1e-12)
    m, ua, ub = linear_assignment(d["in_cost"], float(d["param_thresh"]))
    assert sorted(map(tuple, m.tolist())) == sorted(map(tuple, d["out_matches"].tolist()))
    assert ua.tolist() == d["out_unmatched_a"].tolist() and ub.tolist() == d["out_unmatched_b"].tolist()


def test_assignment_never_accepts_above_threshold():
    cost = np.array([[0.9, 0.1], [0.2, 0.95]])
    m, ua, ub = linear_assignment(cost, 0.5)
    assert sorted(map(tuple, m.tolist())) == [(0, 1), (1, 0)]
    m, ua, ub = linear_assignment(np.array([[0.6]]), 0.5)
    assert len(m) == 0 and ua.tolist() == [0] and ub.tolist() == [0]


def test_pose_distance_is_translation_and_scale_invariant():
    rng = np.random.default_rng(0)
    kp = rng.uniform(0, 100, (1, 17, 2))
    box = np.array([[0, 0, 100, 100.0]])
    moved = kp * 2 + 300
    box2 = box * 2 + 300
    ok = np.ones((1, 17), bool)
    assert normalised_pose_distance(kp, box, moved, box2, ok, ok)[0, 0] == pytest.approx(0, abs=1e-9)
    assert normalised_pose_distance(kp, box, kp[:, ::-1], box, ok, ok)[0, 0] > 0.1
