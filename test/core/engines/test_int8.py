"""The estimator through each engine: an on-the-fly FP32 export gives torch's keypoints, and an INT8 model
calibrated on a recorded set of real-style frames stays close to FP32 (the model trained here)."""
from pathlib import Path

import numpy as np
import pytest

from alphapose_ros.core.engines.int8 import calibration_crops, quantize_int8, record_calibration
from alphapose_ros.core.engines.onnx_export import state_sha256, write_sidecar
from alphapose_ros.core.pose.estimator import PoseEstimator, exported_model

pytest.importorskip("onnxruntime", reason="requirements/engines.txt (scripts/setup.sh installs it)")
pytest.importorskip("openvino", reason="requirements/engines.txt (scripts/setup.sh installs it)")

LOCAL = Path(__file__).resolve().parents[3] / "models" / "local"


def scenes(n, seed):
    """Images with drawn people and their boxes (xyxy)."""
    from alphapose_ros.synthetic.figures import make_image

    rng = np.random.default_rng(seed)
    for _ in range(n):
        img, people = make_image(rng, [], size=(320, 256), max_people=3)
        yield img, np.array([[p["bbox"][0], p["bbox"][1], p["bbox"][0] + p["bbox"][2], p["bbox"][1] + p["bbox"][3]]
                             for p in people], np.float32)


@pytest.fixture(scope="module")
def local_torch():
    return PoseEstimator.from_files(LOCAL / "fastpose_small_halpe26.yaml", LOCAL / "fastpose_small_halpe26_sikr.pth")


def _deviation(a, b, images):
    d = [np.abs(a(img[..., ::-1].copy(), boxes).keypoints - b(img[..., ::-1].copy(), boxes).keypoints)
         for img, boxes in images]
    return np.concatenate([x.reshape(-1) for x in d])


@pytest.mark.parametrize("engine", ["onnxruntime", "openvino"])
def test_fp32_engine_gives_the_torch_keypoints(local_torch, tmp_path, monkeypatch, engine):
    monkeypatch.setenv("ALPHAPOSE_ROS_CACHE", str(tmp_path))
    est = PoseEstimator.from_files(LOCAL / "fastpose_small_halpe26.yaml", LOCAL / "fastpose_small_halpe26_sikr.pth",
                                   engine=engine)
    assert list(tmp_path.glob("engines/pose_*.onnx")) and "engine" in est.describe()
    images = list(scenes(3, 0))
    dev = _deviation(est, local_torch, images)
    assert dev.max() < 1e-3  # pixels
    img, boxes = images[0]
    np.testing.assert_allclose(est(img, boxes).keypoint_scores, local_torch(img, boxes).keypoint_scores, atol=1e-5)


def test_int8_from_a_recorded_calibration_set_stays_close_to_fp32(local_torch, tmp_path):
    frames = list(scenes(12, 1))
    n = record_calibration([img for img, _ in frames], [b for _, b in frames], tmp_path / "calib.npz")
    crops = calibration_crops(tmp_path / "calib.npz", local_torch.cfg.input_hw)
    assert len(crops) == n and crops.shape[1:] == (3, 128, 96)
    fp32 = exported_model(local_torch.model, local_torch.cfg, cache=tmp_path)
    int8 = quantize_int8(fp32, tmp_path / "int8.onnx", crops)
    write_sidecar(int8, local_torch.cfg, precision="int8", checkpoint_sha256=state_sha256(local_torch.model))
    assert int8.stat().st_size < fp32.stat().st_size / 2
    held_out = list(scenes(4, 2))
    for engine in ("onnxruntime", "openvino"):
        dev = _deviation(PoseEstimator.from_exported(int8, engine), local_torch, held_out)
        # 128x96 crops: measured median 0.18 px, max 4.8 px (both engines)
        assert np.median(dev) < 0.5 and dev.max() < 8, (engine, np.median(dev), dev.max())


def test_a_file_that_is_not_a_calibration_set_is_named(tmp_path):
    (tmp_path / "x.npz").write_bytes(b"nope")
    with pytest.raises(ValueError, match="not a calibration set"):
        calibration_crops(tmp_path / "x.npz", (128, 96))
    with pytest.raises(ValueError, match="no person boxes"):
        record_calibration([np.zeros((10, 10, 3), np.uint8)], [np.zeros((0, 4))], tmp_path / "c.npz")


def test_mixed_precision_keeps_the_named_convolutions_fp32_and_quantises_the_rest(tmp_path):
    import onnx
    import torch

    from alphapose_ros.core.engines.int8 import quantize_int8

    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(4, 2, 1)).eval()
    torch.onnx.export(net, torch.zeros(1, 3, 8, 8), str(tmp_path / "fp32.onnx"), input_names=["crops"],
                      output_names=["out"], dynamic_axes={"crops": {0: "n"}, "out": {0: "n"}}, opset_version=17,
                      dynamo=False)
    convs = [n.name for n in onnx.load(str(tmp_path / "fp32.onnx")).graph.node if n.op_type == "Conv"]
    crops = np.random.default_rng(0).normal(size=(16, 3, 8, 8)).astype(np.float32)

    def quantised_inputs(path):
        g = onnx.load(str(path)).graph
        made_by = {o: n.op_type for n in g.node for o in n.output}
        return {n.name: any(made_by.get(i) == "DequantizeLinear" for i in n.input[1:2]) for n in g.node
                if n.op_type == "Conv"}

    quantize_int8(tmp_path / "fp32.onnx", tmp_path / "all.onnx", crops)
    quantize_int8(tmp_path / "fp32.onnx", tmp_path / "mixed.onnx", crops, keep_fp32=(convs[-1],))
    assert quantised_inputs(tmp_path / "all.onnx") == {convs[0]: True, convs[1]: True}
    assert quantised_inputs(tmp_path / "mixed.onnx") == {convs[0]: True, convs[1]: False}
