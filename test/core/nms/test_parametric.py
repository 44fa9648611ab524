"""Parametric pose NMS reproduces AlphaPose's pose_nms vectors and behaves on hand-made cases."""
import json

import numpy as np
import pytest

from alphapose_ros.core.nms.parametric import PoseNMSParams, parametric_pose_nms

CASES = ["case01_coco17_separated", "case02_coco17_crowd_duplicates", "case03_coco17_lowscore_and_area",
         "case04_halpe26_duplicates", "case05_halpe136_heatmap_params", "case06_halpe136_regression_params",
         "case07_cocowb133_regression_params", "case08_coco17_single", "case09_coco17_many"]


@pytest.mark.reference
@pytest.mark.parametrize("name", CASES)
def test_matches_alphapose_vector(reference, name):
    d = np.load(reference / f"vectors/pose_nms/{name}.npz")
    meta = {c["file"]: c for c in json.loads((reference / "vectors/pose_nms/cases.json").read_text())}[name + ".npz"]
    c = meta["constants_used"]
    k = meta["num_keypoints"]
    params = PoseNMSParams.for_layout(k, bool(d["param_use_heatmap_loss"]), area_thresh=float(d["param_areaThres"]))
    for ours, theirs in [("delta1", "delta1"), ("mu", "mu"), ("delta2", "delta2"), ("gamma", "gamma"),
                         ("score_thresh", "scoreThreds"), ("match_thresh", "matchThreds"), ("alpha", "alpha")]:
        assert getattr(params, ours) == pytest.approx(c[theirs]), ours
    r = parametric_pose_nms(d["in_bboxes"], d["in_bbox_scores"], d["in_pose_preds"], d["in_pose_scores"][..., 0],
                            params)
    assert len(r.picks) == int(d["out_num"])
    np.testing.assert_array_equal(r.picks, d["out_pick_ids"])
    np.testing.assert_allclose(r.keypoints, d["out_pose_preds"], rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(r.keypoint_scores, d["out_pose_scores"][..., 0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(r.proposal_scores, d["out_proposal_score"], rtol=1e-5, atol=1e-5)
    ids = d["in_bbox_ids"][:, 0]
    flat, off = d["out_merged_ids_flat"], d["out_merged_ids_offsets"]
    for j, members in enumerate(r.merged):
        assert sorted(ids[members].tolist()) == sorted(flat[off[j]:off[j + 1]].tolist())


def _person(x0, y0, rng, k=17):
    kp = np.stack([x0 + rng.uniform(0, 60, k), y0 + rng.uniform(0, 160, k)], -1)
    return kp, np.array([x0, y0, x0 + 60, y0 + 160], np.float32)


def test_near_identical_poses_from_overlapping_boxes_collapse_to_one():
    rng = np.random.default_rng(0)
    kp, box = _person(100, 50, rng)
    kps = np.stack([kp, kp + 0.3, kp - 0.2])
    boxes = np.stack([box, box + 3, box - 2])
    r = parametric_pose_nms(boxes, [0.9, 0.8, 0.7], kps, np.full((3, 17), 0.8), PoseNMSParams.for_layout(17))
    assert len(r.picks) == 1 and sorted(r.merged[0].tolist()) == [0, 1, 2]


def test_a_nan_keypoint_in_the_input_gives_finite_merged_poses_not_nan():
    """A non-finite keypoint (a corrupt message) once made the weighted mean 0/0: NaN poses reached the
    visualizer and took the graph down. It counts as unseen instead."""
    rng = np.random.default_rng(0)
    kp, box = _person(100, 50, rng)
    kps = np.stack([kp, kp + 0.3])
    kps[0, 3] = np.nan
    r = parametric_pose_nms(np.stack([box, box + 3]), [0.9, 0.8], kps, np.full((2, 17), 0.8),
                            PoseNMSParams.for_layout(17))
    assert len(r.picks) == 1 and np.isfinite(r.keypoints).all() and np.isfinite(r.keypoint_scores).all()
    np.testing.assert_allclose(r.keypoints[0, 3], kp[3] + 0.3, atol=1e-4)  # from the pose that saw it


def test_two_people_standing_close_with_different_poses_both_survive():
    rng = np.random.default_rng(1)
    a, box_a = _person(100, 50, rng)
    b, box_b = _person(130, 50, rng)  # boxes overlap by half, poses differ
    r = parametric_pose_nms(np.stack([box_a, box_b]), [0.9, 0.9], np.stack([a, b]), np.full((2, 17), 0.8),
                            PoseNMSParams.for_layout(17))
    assert len(r.picks) == 2


def test_empty_and_single_inputs_pass_through():
    p = PoseNMSParams.for_layout(136, heatmap_head=False)
    r = parametric_pose_nms(np.zeros((0, 4)), np.zeros(0), np.zeros((0, 136, 2)), np.zeros((0, 136)), p)
    assert len(r.picks) == 0 and r.keypoints.shape == (0, 136, 2)
    rng = np.random.default_rng(2)
    kp, box = _person(10, 10, rng, 136)
    r = parametric_pose_nms(box[None], [0.5], kp[None], np.full((1, 136), 0.9), p)
    assert r.picks.tolist() == [0]
    np.testing.assert_allclose(r.keypoints[0], kp, atol=1e-4)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vectorised_picks_equal_the_per_pair_loop(seed):
    from alphapose_ros.harness.reference import loop_pose_nms
    from alphapose_ros.synthetic.pose_candidates import random_candidates

    boxes, bs, kp, ks = random_candidates(24, 17, seed)
    p = PoseNMSParams.for_layout(17)
    r = parametric_pose_nms(boxes, bs, kp, ks, p)
    # the loop baseline stops at clustering: compare the clusters' picks (merge may drop some)
    loop_picks = loop_pose_nms(boxes.tolist(), bs, kp.tolist(), ks.tolist(), p)
    assert set(r.picks.tolist()) <= set(loop_picks) and len(loop_picks) == 8


def test_paper_formula_matches_joints_inside_a_tenth_of_the_candidates_box_and_uses_squared_distance():
    """Eqs. 17-18: a candidate's joint matches when it lies in a box 1/10 of the candidate's own box around
    its joint (here 2 px off in a 100 px box: a match, which AlphaPose's 1 px rule misses; 7 px off: not), the
    spatial term is exp(-d^2 / sigma_2), and each candidate is judged by its own box, not the pick's."""
    from alphapose_ros.core.nms.parametric import _Similarity

    ks = np.array([[0.9, 0.8, 0.7], [0.6, 0.9, 0.5], [0.6, 0.9, 0.5]])
    kp = np.array([[[10.0, 10], [50, 50], [90, 90]], [[12.0, 10], [50, 57], [90, 90]], [[12.0, 10], [50, 57], [90, 90]]])
    boxes = np.array([[0.0, 0, 100, 100], [0.0, 0, 100, 100], [0.0, 0, 200, 200]])  # the third is twice as big
    diff = kp[[1, 2]] - kp[0]
    d = np.sqrt((diff ** 2).sum(-1))
    p = PoseNMSParams(formula="paper", delta1=1.0, mu=1.7, delta2=2.65)
    t = np.tanh(ks[0]) * np.tanh(ks[1])
    spatial = 1.7 * np.exp(-(d[0] ** 2) / 2.65).sum()
    want = [t[0] + t[2] + spatial,          # 100 px box: 5 px half-box, joint 1 (7 px off) outside
            t[0] + t[1] + t[2] + spatial]   # 200 px box: 10 px half-box, joint 1 inside
    got = _Similarity(ks, p).similarity(d, 0, np.array([1, 2]), diff, boxes[[1, 2]])
    np.testing.assert_allclose(got, want)
    code = _Similarity(ks, PoseNMSParams()).similarity(d[:1], 0, np.array([1]))
    np.testing.assert_allclose(code, [t[2] + 1.7 * np.exp(-d[0] / 2.65).sum()])  # only the exact joint matches
    with pytest.raises(ValueError, match="unknown pose NMS formula"):
        _Similarity(ks, PoseNMSParams(formula="eq99"))


def test_the_paper_formulas_default_scale_gives_1_over_e_where_alphaposes_does():
    code, paper = PoseNMSParams.for_layout(17), PoseNMSParams.for_layout(17, formula="paper")
    d = code.delta2  # AlphaPose: exp(-d / delta2) = 1/e at d = delta2 px
    assert paper.delta2 == pytest.approx(d ** 2) and np.exp(-d ** 2 / paper.delta2) == pytest.approx(np.exp(-1))
    assert PoseNMSParams.for_layout(17, formula="paper", delta2=9.0).delta2 == 9.0  # a fitted value as given


def test_fixed_match_norm_judges_a_pair_the_same_whatever_the_pool():
    from alphapose_ros.core.nms.parametric import _Similarity

    rng = np.random.default_rng(0)
    ks = rng.uniform(0.2, 1, (4, 136))
    d = rng.uniform(0, 10, (3, 136))
    for fixed, same in ((False, False), (True, True)):
        c = _Similarity(ks, PoseNMSParams.for_layout(136, False, fixed_match_norm=fixed))
        alone, in_pool = c.matches(d[:1], 20.0, ks[0]), c.matches(d, 20.0, ks[0])
        assert (alone[0] == in_pool[0]) == same


def test_the_paper_formula_runs_end_to_end_and_suppresses_duplicates():
    from alphapose_ros.synthetic.pose_candidates import random_candidates

    boxes, bs, kp, ks = random_candidates(30, 17, seed=2)  # 10 people x 3 jittered duplicates
    for gamma, people in ((8.0, 10), (1000.0, 30)):  # the PCK-count rule off: the similarity alone decides
        p = PoseNMSParams(formula="paper", gamma=gamma, match_thresh=1000.0)
        assert len(parametric_pose_nms(boxes, bs, kp, ks, p).picks) == people
