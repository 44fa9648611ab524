"""PoseFlow tracker: hand-made cases, ORB correspondences, and the shared tracker interface."""
import numpy as np
import pytest

from alphapose_ros.core.poses import PoseSet
from alphapose_ros.core.tracking.poseflow import PoseFlowParams, PoseFlowTracker, _corr_iou, _inside
from alphapose_ros.synthetic.tracking_scenes import FIGURE, SceneSpec, make_scene, render, scene_textures
from alphapose_ros.core.tracking.trackers import make_tracker, track_poses


def _person(cx, cy=200.0, w=60.0, h=160.0):
    box = np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
    return box, box[:2] + FIGURE * [w, h]


def _frame(*xs):
    people = [_person(x) for x in xs]
    return (np.array([b for b, _ in people]).reshape(-1, 4), np.array([k for _, k in people]).reshape(-1, 17, 2))


def test_stationary_person_keeps_one_id_for_1000_frames():
    tr, rng, ids = PoseFlowTracker(), np.random.default_rng(0), set()
    for f in range(1000):
        boxes, kps = _frame(300 + rng.normal(0, 1))
        ids.update(tr.update(f / 30, boxes, keypoints=kps + rng.normal(0, 1, kps.shape)).track_ids.tolist())
    assert ids == {1}


def test_people_walking_apart_keep_their_ids_without_images():
    tr = PoseFlowTracker()
    for f in range(30):
        boxes, kps = _frame(200 - 3 * f, 400 + 3 * f)
        o = tr.update(f / 30, boxes, keypoints=kps)
    assert o.track_ids.tolist() == [1, 2]


def test_hidden_person_gets_old_id_back_within_link_time_and_a_new_one_after():
    tr = PoseFlowTracker(PoseFlowParams(link_seconds=1.0))
    for f in range(5):
        tr.update(f / 30, *_frame(100, 400))
    o = tr.update(20 / 30, *_frame(100, 400))   # 2 hidden for half a second (frames dropped)
    assert o.track_ids.tolist() == [1, 2]
    for f in range(21, 90):                       # 2 hidden for more than a second
        tr.update(f / 30, *_frame(100))
    assert tr.update(3.0, *_frame(100, 400)).track_ids.tolist() == [1, 3]


def test_time_going_backwards_resets_and_never_reuses_ids():
    tr = PoseFlowTracker()
    for f in range(3):
        tr.update(10 + f / 30, *_frame(100))
    assert tr.update(0.0, *_frame(100)).track_ids.tolist() == [2]


def _textured(seed=0, shape=(240, 320)):
    import cv2

    rng = np.random.default_rng(seed)
    return cv2.resize(rng.integers(0, 256, (shape[0] // 8, shape[1] // 8), dtype=np.uint8), shape[::-1],
                      interpolation=cv2.INTER_NEAREST)


def test_orb_correspondences_follow_the_image_motion():
    img = _textured()
    moved = np.roll(img, (3, 7), axis=(0, 1))
    tr = PoseFlowTracker()
    everything = np.array([[0.0, 0.0, 319.0, 239.0]])
    assert tr._correspondences(img, everything) is None       # no previous image yet
    prev, cur = tr._correspondences(moved, everything)
    d = cur - prev
    assert len(d) > 50
    np.testing.assert_allclose(np.median(d, 0), [7, 3], atol=0.5)  # ORB points are sub-pixel


def test_correspondence_iou_counts_points_inside_both_regions():
    p = np.array([[1.0, 1.0], [5.0, 5.0], [9.0, 9.0]])
    a = _inside(p, np.array([[0.0, 0.0, 6.0, 6.0]]))
    b = _inside(p + 100, np.array([[100.0, 100.0, 106.0, 106.0], [104.0, 104.0, 110.0, 110.0]]))
    np.testing.assert_allclose(_corr_iou(a, b), [[1.0, 1 / 3]])


def test_a_fast_mover_is_followed_through_correspondences_but_not_without_them():
    """The person jumps further than their width between frames: no box overlap at all, but
    the pixels (the image moves with them) still correspond."""
    import cv2

    img = np.zeros((240, 480), np.uint8)
    tex = cv2.resize(np.random.default_rng(1).integers(0, 256, (20, 8), dtype=np.uint8), (60, 160),
                     interpolation=cv2.INTER_NEAREST)

    def at(x):
        im = img.copy()
        im[120:280, x - 30:x + 30] = tex[:120]
        return im

    params = PoseFlowParams(joint_half_size=5.0)
    for use_image, expected in ((True, [1]), (False, [2])):
        tr = PoseFlowTracker(params)
        for f, x in enumerate((100, 180)):  # 80 px jump, box width 60
            boxes, kps = _frame(x)
            o = tr.update(f / 30, boxes, keypoints=kps, image=at(x) if use_image else None)
        assert o.track_ids.tolist() == expected, use_image


@pytest.mark.parametrize("kind", ["msim", "poseflow"])
def test_both_trackers_run_behind_one_interface(kind):
    spec = SceneSpec(people=4, frames=150, seed=3)
    bg, tex = scene_textures(spec)
    tr = make_tracker(kind)
    seen = set()
    for f in make_scene(spec)[:40]:
        n = len(f.boxes)
        poses = PoseSet("coco_17", f.boxes.astype(np.float32), f.scores, f.keypoints, f.kp_scores, f.scores)
        out = track_poses(tr, f.t, poses, render(f, bg, tex))
        assert len(set(out.track_ids.tolist())) == len(out) <= n
        seen.update(out.track_ids.tolist())
    assert min(seen) >= 1 and len(seen) <= 8


def test_unknown_tracker_is_named():
    with pytest.raises(ValueError, match="poseflow"):
        make_tracker("sort")


def test_poseflow_costs_and_matches_reproduce_the_executed_vector(reference):
    """AlphaPose's PoseFlow matching on recorded ORB correspondences, boxes and poses: every IoU term, the
    weighted cost matrix and the Hungarian matches (the joint squares in the whole-pixel convention,
    where a gap between squares stays a gap)."""
    from alphapose_ros.core.tracking.poseflow import PoseFlowParams, poseflow_costs, poseflow_matches

    d = np.load(reference / "vectors/tracking/poseflow_matching.npz")
    xyxy = [0, 2, 1, 3]  # the vector stores boxes as x1, x2, y1, y2
    p = PoseFlowParams(weights_previous=tuple(d["param_weights"].tolist()),
                       weights_older=tuple(d["param_weights_fff"].tolist()),
                       joint_half_size=float(d["param_mag"]), best_joints=int(d["param_num"]))
    c = poseflow_costs(d["in_prev_box_pos_xxyy"][:, xyxy], d["in_prev_pose"], d["in_prev_from_former_frame"],
                       d["in_next_box_pos_xxyy"][:, xyxy], d["in_next_pose"], d["in_correspondences"],
                       d["in_prev_box_score"], d["in_next_box_score"], p)
    np.testing.assert_allclose(c.box_iou, d["out_box_iou"], atol=1e-7)
    np.testing.assert_allclose(c.joint_iou, d["out_pose_iou"], atol=1e-7)  # the +1 convention: was 2e-4 off
    np.testing.assert_allclose(c.corr_box_iou, d["out_dm_iou"], atol=1e-6)  # upstream counts in float32
    np.testing.assert_allclose(c.corr_joint_iou, d["out_pose_iou_dm"], atol=1e-6)
    np.testing.assert_allclose(c.cost, d["out_cost_matrix"], atol=1e-6)
    assert poseflow_matches(c.cost, p.accept).tolist() == d["out_matches"].tolist()
