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
    ok = np.ones((1, 17))
    assert normalised_pose_distance(kp, box, moved, box2, ok, ok)[0, 0] == pytest.approx(
        1 - (17 * np.tanh(1.0) ** 2 + 17) / (17 * 2), abs=1e-9)  # identical shapes: every joint matches
    assert normalised_pose_distance(kp, box, kp[:, ::-1], box, ok, ok)[0, 0] > 0.5


def test_pose_distance_is_eq_19_on_normalised_poses():
    """K_sim counts joints inside a box 1/10 of the track's box (normalised: 0.05 box heights each side
    vertically), softly by tanh of both scores; H_sim sums exp(-squared distance / sigma2)."""
    box = np.array([[0, 0, 50, 100.0]])  # aspect 0.5: the match box is +-0.025 x +-0.05 box heights
    kp = np.array([[[25.0, 50], [25, 50], [25, 50]]])
    det = np.array([[[25.0, 54], [27, 50], [25, 60]]])  # 0.04 down (inside), 0.02 right (inside), 0.1 down
    s_t, s_d = np.array([[0.9, 0.8, 0.7]]), np.array([[0.6, 0.5, 0.4]])
    d2 = np.array([0.04 ** 2, 0.02 ** 2, 0.1 ** 2])
    t = np.tanh(s_t[0]) * np.tanh(s_d[0])
    want = 1 - (t[0] + t[1] + 0.5 * np.exp(-d2 / 0.01).sum()) / (3 * 1.5)
    got = normalised_pose_distance(kp, box, det, box, s_t, s_d, sigma1=1.0, sigma2=0.01, lam=0.5)
    assert got[0, 0] == pytest.approx(want, rel=1e-12)
