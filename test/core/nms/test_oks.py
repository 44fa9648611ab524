"""OKS and OKS NMS reproduce AlphaPose's oks_iou / oks_nms / soft_oks_nms vectors."""
import numpy as np
import pytest

from alphapose_ros.core.nms.oks import oks, oks_nms, sigmas_for, soft_oks_nms

pytestmark = pytest.mark.reference


@pytest.mark.parametrize("k", [17, 26, 133, 136])
def test_oks_matches_reference(reference, k):
    d = np.load(reference / "vectors/detection_and_oks/oks_iou.npz")
    args = (d[f"k{k}_in_g"], d[f"k{k}_in_d"], d[f"k{k}_in_area_g"], d[f"k{k}_in_area_d"], sigmas_for(k))
    np.testing.assert_allclose(oks(*args), d[f"k{k}_out_oks"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(oks(*args, vis_thresh=0.2), d[f"k{k}_out_oks_visthr0.2"], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("k", [17, 136])
def test_oks_nms_and_soft_nms_keep_the_same_poses(reference, k):
    d = np.load(reference / "vectors/detection_and_oks/oks_nms.npz")
    kp, sc, ar = d[f"k{k}_in_keypoints"], d[f"k{k}_in_scores"], d[f"k{k}_in_areas"]
    assert oks_nms(kp, sc, ar, 0.9).tolist() == d[f"k{k}_out_keep_oks_nms_thr0.9"].tolist()
    assert oks_nms(kp, sc, ar, 0.5).tolist() == d[f"k{k}_out_keep_oks_nms_thr0.5"].tolist()
    assert soft_oks_nms(kp, sc, ar, 0.9).tolist() == d[f"k{k}_out_keep_soft_oks_nms_thr0.9"].tolist()
    assert soft_oks_nms(kp, sc, ar, 0.3, max_dets=5).tolist() == d[f"k{k}_out_keep_soft_oks_nms_thr0.3_max5"].tolist()


def test_validate_style_rescored_oks_nms_matches_reference(reference):
    from alphapose_ros.core.nms.oks import rescored_oks_nms

    d = np.load(reference / "vectors/detection_and_oks/oks_pose_nms.npz")
    kept, rescored = rescored_oks_nms(d["in_image_id"], d["in_score"], d["in_keypoints"], d["in_area"],
                                      float(d["param_vis_thr"]), float(d["param_oks_thr"]))
    assert kept.tolist() == d["out_kept_input_index"].tolist()
    np.testing.assert_allclose(rescored[kept], d["out_rescored_score"], rtol=1e-6)


def test_oks_nms_on_result_records_keeps_and_rescores_what_alphapose_validate_does(reference):
    from alphapose_ros.core.nms.oks import oks_nms_records

    d = np.load(reference / "vectors/detection_and_oks/oks_pose_nms.npz")
    kp = d["in_keypoints"].reshape(len(d["in_score"]), -1)
    records = [{"image_id": int(i), "score": float(s), "keypoints": k.tolist(), "box": [0.0, 0.0, float(a), 1.0],
                "n": n} for n, (i, s, k, a) in enumerate(zip(d["in_image_id"], d["in_score"], kp, d["in_area"]))]
    kept = oks_nms_records(records, float(d["param_vis_thr"]), float(d["param_oks_thr"]))
    assert [r["n"] for r in kept] == d["out_kept_input_index"].tolist()
    np.testing.assert_allclose([r["score"] for r in kept], d["out_rescored_score"], rtol=1e-6)


def test_the_pipelines_oks_nms_rescores_as_alphapose_does(reference):
    """apply_pose_nms(kind="oks") on one image's records gives what AlphaPose's rescored OKS NMS keeps, with
    its scores (box score x mean keypoint score above 0.2; low keypoints left out of the OKS); it ranked by
    box score x the mean of all keypoint scores before."""
    from alphapose_ros.core.nms.oks import rescored_oks_nms
    from alphapose_ros.core.pipeline import apply_pose_nms
    from alphapose_ros.core.poses import PoseSet

    d = np.load(reference / "vectors/detection_and_oks/oks_pose_nms.npz")
    ids = d["in_image_id"]
    img = max(set(ids.tolist()), key=ids.tolist().count)  # the image with the most records
    rows = np.flatnonzero(ids == img)
    kp = d["in_keypoints"][rows].reshape(len(rows), -1, 3)
    ext = kp[..., :2].max(1) - kp[..., :2].min(1)
    want, rescored = rescored_oks_nms(ids[rows], d["in_score"][rows], kp.reshape(len(rows), -1),
                                      ext[:, 0] * ext[:, 1], float(d["param_vis_thr"]), float(d["param_oks_thr"]))
    poses = PoseSet("coco_17" if kp.shape[1] == 17 else "halpe_136", np.zeros((len(rows), 4)), d["in_score"][rows],
                    kp[..., :2], kp[..., 2], d["in_score"][rows])
    kept, merged = apply_pose_nms(poses, "oks", None, float(d["param_oks_thr"]))
    assert [m[0] for m in merged] == want.tolist() and len(want) < len(rows)
    np.testing.assert_allclose(kept.scores, rescored[want], rtol=1e-6)
