"""Our RTMPose-family backends against rtmlib 0.0.16 (an independent reference, test-only) on files with
the released inputs/outputs: keypoints within 0.01 px, scores within 1e-4, the same boxes."""
from __future__ import annotations

import numpy as np
import pytest

from alphapose_ros.core.rtm.estimator import SimCCPoseEstimator
from alphapose_ros.core.rtm.model_file import inspect_onnx
from alphapose_ros.synthetic import released_layouts

rtmlib = pytest.importorskip("rtmlib", reason="rtmlib is installed by scripts/setup.sh (requirements/test.txt)")


def scene(h: int = 480, w: int = 640, seed: int = 3) -> np.ndarray:
    """A textured RGB frame: smooth gradients plus noise, so crops differ everywhere."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([xx * 255 / w, yy * 255 / h, (xx + yy) % 256], -1)
    return np.clip(base + rng.normal(0, 40, (h, w, 3)), 0, 255).astype(np.uint8)


BOXES = np.array([[100, 50, 220, 400], [300, 100, 360, 160], [0, 0, 640, 480], [-40, 300, 90, 520],
                  [500, 20, 700, 200], [250.5, 200.25, 330.75, 470.5], [10, 10, 30, 90], [400, 300, 410, 305],
                  [200, 100, 500, 180], [590, 400, 640, 480]], np.float32)


@pytest.mark.parametrize("keypoints,input_hw", [(17, (256, 192)), (26, (256, 192)), (133, (384, 288))])
def test_simcc_keypoints_and_scores_equal_rtmlibs(tmp_path, keypoints, input_hw):
    path = released_layouts.simcc_file(tmp_path / "end2end.onnx", keypoints, input_hw)
    ours = SimCCPoseEstimator(inspect_onnx(path), batch_size=16)
    image = scene()
    got = ours(image, BOXES)
    # rtmlib feeds the pixels as given; ours takes RGB, as the models were trained: give it the same pixels
    ref = rtmlib.RTMPose(str(path), model_input_size=(input_hw[1], input_hw[0]), backend="onnxruntime")
    want_xy, want_scores = ref(image, BOXES.tolist())
    assert got.keypoints.shape == want_xy.shape == (len(BOXES), keypoints, 2)
    np.testing.assert_allclose(got.keypoints, want_xy, atol=0.01)
    np.testing.assert_allclose(got.keypoint_scores, want_scores, atol=1e-4)
    assert ours.format.num_keypoints == keypoints and len(np.unique(got.keypoints[:, 0, 0])) > 5


def test_a_fixed_batch_file_runs_one_crop_per_call_with_the_same_result(tmp_path):
    dynamic = SimCCPoseEstimator(inspect_onnx(released_layouts.simcc_file(tmp_path / "d.onnx")), batch_size=8)
    fixed = SimCCPoseEstimator(inspect_onnx(released_layouts.simcc_file(tmp_path / "f.onnx", dynamic_batch=False)))
    assert fixed.batch_size == 1
    a, b = dynamic(scene(), BOXES), fixed(scene(), BOXES)
    np.testing.assert_allclose(a.keypoints, b.keypoints, atol=0.01)
    np.testing.assert_allclose(a.keypoint_scores, b.keypoint_scores, atol=1e-4)


@pytest.mark.parametrize("kind", ["yolox", "rtmdet"])
def test_end2end_detector_boxes_equal_rtmlibs(tmp_path, kind):
    from alphapose_ros.core.detectors.onnx_end2end import End2EndDetector

    path = released_layouts.detector_file(tmp_path / f"{kind}.onnx", (416, 416) if kind == "yolox" else (320, 320))
    image_bgr = scene(576, 768)
    got = End2EndDetector(inspect_onnx(path), kind, confidence=0.3).detect([image_bgr])[0]
    ref = (rtmlib.YOLOX if kind == "yolox" else rtmlib.RTMDet)(str(path), model_input_size=inspect_onnx(path).input_hw,
                                                                 backend="onnxruntime")
    want = ref(image_bgr)
    # rtmlib keeps every label of an end-to-end file; ours keeps people (label 0): compare on those
    persons = released_layouts.ToyEnd2EndDetector((1, 1)).labels.numpy() == 0
    above = ref.inference(ref.preprocess(image_bgr)[0])[0][0, :, 4] > 0.3
    assert 2 < len(got) < above.sum()
    np.testing.assert_allclose(got.boxes, want[persons[above]], atol=0.01)


def test_rtmo_people_equal_rtmlibs(tmp_path):
    from alphapose_ros.core.rtm.rtmo import RTMOModel

    path = released_layouts.rtmo_file(tmp_path / "rtmo.onnx")
    image_rgb = scene(576, 768)
    boxes, box_scores, out = RTMOModel(inspect_onnx(path), confidence=0.3, nms_thresh=0.45).people(image_rgb)
    # RTMO was trained on BGR: rtmlib takes the BGR frame, ours the RGB one
    want_xy, want_scores = rtmlib.RTMO(str(path), backend="onnxruntime")(image_rgb[..., ::-1].copy(), nms_thr=0.45,
                                                                          score_thr=0.3)
    assert 2 < len(boxes) == len(want_xy) and np.all(np.diff(box_scores) <= 0)
    np.testing.assert_allclose(out.keypoints, want_xy, atol=0.01)
    np.testing.assert_allclose(out.keypoint_scores, want_scores, atol=1e-4)


def test_openvino_runs_the_same_file_to_the_same_poses(tmp_path):
    spec = inspect_onnx(released_layouts.simcc_file(tmp_path / "m.onnx", 133))
    a = SimCCPoseEstimator(spec, "onnxruntime")(scene(), BOXES)
    b = SimCCPoseEstimator(spec, "openvino")(scene(), BOXES)
    np.testing.assert_allclose(b.keypoints, a.keypoints, atol=0.01)
    np.testing.assert_allclose(b.keypoint_scores, a.keypoint_scores, atol=1e-3)
