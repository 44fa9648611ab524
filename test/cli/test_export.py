"""alphapose-export: a calibration set from footage with people, an FP32 export checked on its crops, an INT8
one, and alphapose-infer running them; bad requests are one line."""
from pathlib import Path

import cv2
import numpy as np
import pytest

from alphapose_ros.cli.export import main

pytest.importorskip("onnxruntime", reason="requirements/engines.txt (scripts/setup.sh installs it)")
pytest.importorskip("openvino", reason="requirements/engines.txt (scripts/setup.sh installs it)")
LOCAL = Path(__file__).resolve().parents[2] / "models" / "local"
MODEL = ["--cfg", str(LOCAL / "fastpose_small_halpe26.yaml"), "--checkpoint", str(LOCAL / "fastpose_small_halpe26_sikr.pth")]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """A short video of drawn people over a plain background and a detfile with their boxes."""
    import json

    from alphapose_ros.synthetic.figures import make_image

    d = tmp_path_factory.mktemp("clip")
    rng = np.random.default_rng(5)
    w = cv2.VideoWriter(str(d / "people.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10, (320, 256))
    dets = []
    for i in range(6):
        img, people = make_image(rng, [], size=(320, 256), max_people=3)
        w.write(img)
        dets += [{"image_id": f"{i}.jpg", "category_id": 1, "bbox": p["bbox"], "score": 0.9} for p in people]
    w.release()
    (d / "dets.json").write_text(json.dumps(dets))
    return d


def test_export_fp32_and_int8_then_infer_runs_them(clip, tmp_path, capsys, monkeypatch):
    from alphapose_ros.core.detectors.base import Detections
    from alphapose_ros.core.detectors import hog

    # HOG finds no drawn figures: the calibration boxes come from the clip's own boxes through a stand-in
    # detector that answers with them (what the command does with a real detector's boxes is unchanged)
    import json

    boxes = {}
    for r in json.loads((clip / "dets.json").read_text()):
        x, y, bw, bh = r["bbox"]
        boxes.setdefault(r["image_id"], []).append([x, y, x + bw, y + bh])
    frames = iter(sorted(boxes))

    def detect(self, images):
        b = np.array(boxes[next(frames)], np.float32)
        return [Detections(b, np.full(len(b), 0.9, np.float32), np.zeros(len(b), np.int64))]
    monkeypatch.setattr(hog.HogDetector, "detect", detect)
    assert main(["calibration", "--input", str(clip / "people.avi"), "--out", str(tmp_path / "calib.npz"),
                 "--every", "1", "--frames", "6"]) == 0
    assert "6 frames" in capsys.readouterr().out
    assert main(["pose", *MODEL, "--out", str(tmp_path / "p.onnx"), "--check", str(tmp_path / "calib.npz")]) == 0
    out = capsys.readouterr().out
    diffs = [float(x.split()[-1]) for x in out.split("real crops: ")[1].strip().split(", ")]
    assert len(diffs) == 2 and max(diffs) < 1e-3 and (tmp_path / "p.json").is_file()
    assert main(["pose", *MODEL, "--out", str(tmp_path / "q.onnx"), "--int8",
                 "--calibration", str(tmp_path / "calib.npz")]) == 0
    assert "INT8 keypoints vs FP32" in capsys.readouterr().out
    from alphapose_ros.cli.infer import main as infer

    for engine, f in (("onnxruntime", "p.onnx"), ("openvino", "q.onnx")):
        assert infer(["--input", str(clip / "people.avi"), "--detfile", str(clip / "dets.json"), "--engine", engine,
                      "--exported", str(tmp_path / f), "--outdir", str(tmp_path / engine)]) == 0
        assert json.loads((tmp_path / engine / "alphapose-results.json").read_text())


@pytest.mark.fault("engine-bad-export")
def test_bad_export_requests_and_files_are_one_line(tmp_path, caplog):
    from alphapose_ros.cli.infer import main as infer

    assert main(["pose", *MODEL, "--out", str(tmp_path / "q.onnx"), "--int8"]) == 2
    assert "--int8 needs --calibration" in caplog.text
    assert main(["pose", *MODEL, "--out", str(tmp_path / "q.onnx")]) == 2 and "pass --check" in caplog.text
    assert main(["pose", *MODEL, "--out", str(tmp_path / "nowhere" / "q.onnx"), "--check", "c.npz"]) == 2
    assert "cannot write" in caplog.text and "does not exist" in caplog.text  # refused before the model loads
    (tmp_path / "m.onnx").write_bytes(b"not onnx")
    cv2.imwrite(str(tmp_path / "x.png"), np.zeros((8, 8, 3), np.uint8))
    args = ["--input", str(tmp_path / "x.png"), "--outdir", str(tmp_path / "o"), "--exported", str(tmp_path / "m.onnx")]
    assert infer(args + ["--engine", "onnxruntime"]) == 2 and "no sidecar m.json" in caplog.text
    assert infer(args) == 2 and "runs with engine onnxruntime or openvino" in caplog.text
    from alphapose_ros.core.engines.onnx_export import export_onnx, state_sha256, write_sidecar
    from alphapose_ros.core.pose.estimator import PoseEstimator

    est = PoseEstimator.from_files(LOCAL / "fastpose_small_halpe26.yaml", None)
    write_sidecar(export_onnx(est.model, est.cfg.input_hw, tmp_path / "m.onnx"), est.cfg, precision="fp32",
                  checkpoint_sha256=state_sha256(est.model))
    other = Path(__file__).resolve().parents[1] / "ros/fixtures/fastpose_coco17.yaml"
    assert infer(args + ["--engine", "openvino", "--cfg", str(other)]) == 2
    assert "was exported from another model than" in caplog.text


def test_rtm_int8_quantises_a_simcc_file_on_real_crops_and_says_how_far_keypoints_move(footage, tmp_path, capsys):
    from alphapose_ros.core.rtm.model_file import inspect_onnx
    from alphapose_ros.synthetic import released_layouts

    cal = tmp_path / "cal.npz"
    assert main(["calibration", "--input", str(footage / "vtest.avi"), "--out", str(cal), "--frames", "3"]) == 0
    model = released_layouts.simcc_file(tmp_path / "end2end.onnx", 26)
    out = tmp_path / "int8.onnx"
    assert main(["rtm-int8", "--pose-model", str(model), "--calibration", str(cal), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "INT8 keypoints vs FP32, input pixels: median" in said
    import onnx

    ops = {n.op_type for n in onnx.load(str(out)).graph.node}
    assert "QuantizeLinear" in ops and inspect_onnx(out).num_keypoints == 26
    det = released_layouts.detector_file(tmp_path / "det.onnx", (320, 320))
    assert main(["rtm-int8", "--pose-model", str(det), "--calibration", str(cal), "--out", str(tmp_path / "x.onnx")]) == 2


@pytest.fixture(scope="module")
def yolox_nano(reference, tmp_path_factory):
    """YOLOX-nano's upstream weights (the recorded test vectors) saved as a release checkpoint."""
    import torch
    from conftest import dequantise

    ref = torch.load(reference / "vectors/third_party/yolox_nano_weights_int8.pt", weights_only=True)
    path = tmp_path_factory.mktemp("yolox") / "yolox_nano.pth"
    torch.save({"model": dequantise(ref)}, path)
    return path


@pytest.mark.reference
def test_detector_int8_writes_an_int8_file_with_its_sidecar_and_the_commands_run_it(yolox_nano, footage, tmp_path, capsys,
                                                                                    monkeypatch):
    from alphapose_ros.cli.infer import main as infer

    cwd = tmp_path / "cwd"  # ONNX Runtime dumps a model here when its symbolic shape inference fails on YOLOX
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    calib = tmp_path / "calib.npz"
    assert main(["calibration", "--input", str(footage / "vtest.avi"), "--out", str(calib), "--frames", "8",
                 "--every", "40"]) == 0
    out = tmp_path / "nano.int8.onnx"
    assert main(["detector-int8", "--detector", "yolox-nano", "--det-weights", str(yolox_nano),
                 "--calibration", str(calib), "--out", str(out)]) == 0
    # the recorded upstream weights are test vectors, not a trained detector: how many boxes INT8 finds again
    # is printed, not judged here; that the file is INT8 and says what it is, is
    assert "FP32 boxes scoring >= 0.5 found again by INT8" in capsys.readouterr().out
    import json

    import onnx

    assert json.loads(out.with_suffix(".json").read_text())["precision"] == "int8"
    ops = {n.op_type for n in onnx.load(str(out)).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    assert list(cwd.iterdir()) == []  # nothing left behind in the user's directory
    frame = tmp_path / "frame.jpg"
    cap = cv2.VideoCapture(str(footage / "vtest.avi"))
    cv2.imwrite(str(frame), cap.read()[1])
    cap.release()
    args = ["--input", str(frame), "--detector", "yolox-nano", "--det-weights", str(yolox_nano), "--engine",
            "onnxruntime", "--det-exported", str(out)]
    assert infer([*args, "--outdir", str(tmp_path / "o")]) == 0
    assert (tmp_path / "o" / "alphapose-results.json").is_file()


@pytest.mark.fault("engine-bad-export")
def test_an_exported_detector_for_another_model_or_engine_is_one_line(yolox_nano, footage, tmp_path, caplog):
    from alphapose_ros.core.detectors.factory import make_detector
    from alphapose_ros.core.engines.int8 import quantize_detector

    det = make_detector("yolox-nano", weights=yolox_nano)
    img = cv2.imread(str(footage / "messi5.jpg"))
    out = quantize_detector(det, [img], tmp_path / "nano.onnx")
    with pytest.raises(ValueError, match="exported from yolox-nano at input \\[640, 640\\], not yolox-tiny"):
        make_detector("yolox-tiny", engine="onnxruntime", exported=out)
    with pytest.raises(ValueError, match="not torch"):
        make_detector("yolox-nano", exported=out)
    with pytest.raises(ValueError, match="other weights"):
        other = tmp_path / "other.pth"
        import torch

        from alphapose_ros.core.detectors.yolox_net import YoloxNet

        torch.save({"model": YoloxNet("yolox-nano").state_dict()}, other)
        make_detector("yolox-nano", weights=other, engine="onnxruntime", exported=out)
    with pytest.raises(ValueError, match="for the YOLO detectors"):
        make_detector("hog", exported=out)
