"""The YOLO detectors on ONNX Runtime and OpenVINO: the network exported on first use, the same boxes as
torch (random weights, so the raw head outputs are compared too)."""
import numpy as np
import pytest
import torch

pytest.importorskip("onnxruntime", reason="requirements/engines.txt (scripts/setup.sh installs it)")
pytest.importorskip("openvino", reason="requirements/engines.txt (scripts/setup.sh installs it)")


@pytest.mark.parametrize("engine", ["onnxruntime", "openvino"])
def test_yolox_on_an_engine_gives_the_torch_outputs_and_boxes(tmp_path, monkeypatch, engine):
    from alphapose_ros.core.detectors.yolox import YoloxDetector, YoloxSettings, preprocess

    monkeypatch.setenv("ALPHAPOSE_ROS_CACHE", str(tmp_path))
    torch.manual_seed(0)
    ref = YoloxDetector("yolox-nano", None, YoloxSettings(confidence=0.0))
    torch.manual_seed(0)  # the same random weights
    det = YoloxDetector("yolox-nano", None, YoloxSettings(confidence=0.0), engine=engine)
    assert list(tmp_path.glob("engines/yolox-nano_*.onnx")) and list(tmp_path.glob("engines/yolox-nano_*.json"))
    img = np.random.default_rng(0).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    x = torch.from_numpy(preprocess(img, 640)[0][None])
    with torch.inference_mode():
        want = ref.net(x)
    got = det.runtime(x)
    assert len(got) == len(want) == 3
    for g, w in zip(got, want):
        assert g.shape == w.shape and float((g - w).abs().max()) < 1e-3
    a, b = ref.detect([img])[0], det.detect([img])[0]
    assert len(a) == len(b) and np.abs(a.boxes - b.boxes).max(initial=0) < 0.05


def test_yolov3_spp_exports_and_runs_on_onnxruntime(alphapose_files, tmp_path, monkeypatch):
    from alphapose_ros.core.detectors.yolov3 import YoloSettings, YoloV3Detector, letterbox

    cfg = alphapose_files / "user-files/detector/yolov3-spp.cfg"  # AlphaPose's file: beside the clone in CI
    monkeypatch.setenv("ALPHAPOSE_ROS_CACHE", str(tmp_path))
    torch.manual_seed(0)
    settings = YoloSettings(inp_dim=320)
    ref = YoloV3Detector(cfg, None, settings)
    torch.manual_seed(0)  # the same random weights
    det = YoloV3Detector(cfg, None, settings, engine="onnxruntime")
    x = torch.from_numpy(letterbox(np.zeros((240, 320, 3), np.uint8), 320))
    with torch.inference_mode():
        want = ref.net(x)
    assert all(float((g - w).abs().max()) < 1e-3 for g, w in zip(det.runtime(x), want))
