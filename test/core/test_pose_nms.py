"""Parametric pose NMS reproduces AlphaPose's pose_nms vectors and behaves on hand-made cases."""
import json

import numpy as np
import pytest

from alphapose_ros.core.pose_nms import PoseNMSParams, parametric_pose_nms

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
    from alphapose_ros.bench.pose_nms import loop_pose_nms, random_candidates

    boxes, bs, kp, ks = random_candidates(24, 17, seed)
    p = PoseNMSParams.for_layout(17)
    r = parametric_pose_nms(boxes, bs, kp, ks, p)
    # the loop baseline stops at clustering: compare the clusters' picks (merge may drop some)
    loop_picks = loop_pose_nms(boxes.tolist(), bs, kp.tolist(), ks.tolist(), p)
    assert set(r.picks.tolist()) <= set(loop_picks) and len(loop_picks) == 8
