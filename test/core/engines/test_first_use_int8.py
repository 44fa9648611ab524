"""INT8 on first use: crops of the first people a stream shows calibrate an INT8 copy in the background (the
model trained here, on drawn scenes); it is handed over once, stays close to FP32, is cached by the weights'
digest so the next start loads it at once, and a failed quantisation leaves the FP32 network in place."""
from pathlib import Path

import numpy as np
import pytest

from alphapose_ros.core.engines.first_use_int8 import for_pose_network
from alphapose_ros.core.models.config import build_model, load_config
from alphapose_ros.core.pose.checkpoints import load_checkpoint
from alphapose_ros.core.pose.estimator import PoseEstimator

from test_int8 import LOCAL, scenes  # noqa: E402 - this folder is on sys.path (pytest prepend)

pytest.importorskip("onnxruntime", reason="requirements/engines.txt (scripts/setup.sh installs it)")


@pytest.fixture(scope="module")
def local():
    cfg = load_config(LOCAL / "fastpose_small_halpe26.yaml")
    return cfg, load_checkpoint(build_model(cfg), LOCAL / "fastpose_small_halpe26_sikr.pth", cfg).eval()


def _int8(path: Path) -> PoseEstimator:
    return PoseEstimator.from_exported(path, "onnxruntime", batch_size=8)


def test_first_people_calibrate_an_int8_copy_handed_over_once_close_to_fp32_and_cached(local, tmp_path):
    cfg, model = local
    fp32 = PoseEstimator(cfg, model, batch_size=8)
    first = for_pose_network(cfg, model, _int8, crops=24, cache=tmp_path)
    assert first.cached() is None
    frames = list(scenes(12, seed=1))
    for img, boxes in frames:
        first.offer(img[..., ::-1].copy(), boxes)
        if first.started:
            break
    first.wait(300)
    assert first.error is None
    int8 = first.ready()
    assert isinstance(int8, PoseEstimator) and int8.engine == "onnxruntime" and first.ready() is None
    import onnx

    assert {"QuantizeLinear", "DequantizeLinear"} <= {n.op_type for n in onnx.load(str(first.path)).graph.node}
    assert first.path.parent == tmp_path and first.change["kp_px_median"] < 0.5
    d = np.concatenate([np.abs(fp32(rgb, b).keypoints - int8(rgb, b).keypoints).reshape(-1)
                        for rgb, b in ((img[..., ::-1].copy(), boxes) for img, boxes in scenes(6, seed=9))])
    assert np.median(d) < 1.0  # image pixels, on people it was not calibrated on
    again = for_pose_network(cfg, model, _int8, crops=24, cache=tmp_path)  # the next start: from the cache
    assert isinstance(again.cached(), PoseEstimator) and again.done
    again.offer(*next(iter(frames)))  # nothing more to collect
    assert not again.started


def test_other_weights_get_their_own_file(local, tmp_path):
    cfg, model = local
    other = build_model(cfg).eval()
    assert for_pose_network(cfg, model, _int8, cache=tmp_path).path != for_pose_network(cfg, other, _int8, cache=tmp_path).path


def test_a_failed_quantisation_is_reported_and_nothing_is_handed_over(local, tmp_path, monkeypatch):
    import alphapose_ros.core.engines.int8 as int8

    def broken(*a, **k):
        raise RuntimeError("disk full")
    monkeypatch.setattr(int8, "quantize_int8", broken)
    cfg, model = local
    first = for_pose_network(cfg, model, _int8, crops=2, cache=tmp_path)
    img, boxes = next(iter(scenes(1, seed=3)))
    first.offer(img[..., ::-1].copy(), boxes[:2] if len(boxes) >= 2 else np.repeat(boxes, 2, 0))
    first.wait(60)
    assert first.ready() is None and first.done and "disk full" in first.error
    assert list(tmp_path.iterdir()) == []  # no half-written file for the next start to trust


def test_a_yolo_detector_calibrates_on_its_first_frames_and_its_int8_copy_is_checked_against_it(footage, tmp_path):
    """for_detector: the first frames (whole images) calibrate an INT8 copy of YOLOX-nano (random weights: the
    path, not accuracy), run by the detector code with the exported file, which checks it was made from these
    weights; the live detector's network is not the one exported (it keeps detecting meanwhile)."""
    import cv2
    import torch

    from alphapose_ros.core.detectors.factory import make_detector
    from alphapose_ros.core.detectors.yolox_net import YoloxNet
    from alphapose_ros.core.engines.first_use_int8 import for_detector

    torch.manual_seed(0)
    weights = tmp_path / "yolox_nano.pth"
    torch.save({"model": YoloxNet("yolox-nano").state_dict()}, weights)
    det = make_detector("yolox-nano", weights=weights)
    live = det.net
    first = for_detector(det, lambda p: make_detector("yolox-nano", weights=weights, engine="onnxruntime",
                                                      exported=p), frames=2, cache=tmp_path / "cache")
    cap = cv2.VideoCapture(str(footage / "vtest.avi"))
    frames = [cap.read()[1] for _ in range(3)]
    cap.release()
    for f in frames[:2]:
        det.detect([f])
        first.offer(f, np.zeros((0, 4), np.float32))
    first.wait(300)
    int8 = first.ready()
    assert first.error is None and int8 is not None and int8.runtime is not None and det.net is live
    assert first.path.is_file() and first.path.with_suffix(".json").is_file()
    assert len(int8.detect([frames[2]])) == 1
    again = for_detector(det, first.make, frames=2, cache=tmp_path / "cache")
    assert again.cached() is not None and again.done
