"""--pose-model / --det-model on alphapose-infer: a bare released-layout .onnx runs end to end; names that
are not cached and files of the wrong kind get one line and exit 2, with nothing written."""
from __future__ import annotations

import json

import cv2
import numpy as np

from alphapose_ros.cli.infer import main
from alphapose_ros.synthetic import released_layouts


def frame(path, h=360, w=480):
    rng = np.random.default_rng(0)
    cv2.imwrite(str(path), rng.integers(0, 255, (h, w, 3), dtype=np.uint8))
    return str(path)


def test_a_bare_end2end_onnx_with_a_detfile_writes_133_keypoint_people(tmp_path):
    model = released_layouts.simcc_file(tmp_path / "end2end.onnx", 133, (256, 192))
    img = frame(tmp_path / "a.jpg")
    dets = tmp_path / "dets.json"
    dets.write_text(json.dumps([{"image_id": "a.jpg", "category_id": 1, "bbox": [50, 20, 120, 300], "score": 0.9},
                                {"image_id": "a.jpg", "category_id": 1, "bbox": [300, 40, 100, 280], "score": 0.8}]))
    out = tmp_path / "out"
    assert main(["--input", img, "--detfile", str(dets), "--pose-model", str(model), "--outdir", str(out)]) == 0
    people = json.loads((out / "alphapose-results.json").read_text())
    assert len(people) >= 1 and all(len(p["keypoints"]) == 133 * 3 for p in people)


def test_a_video_runs_with_an_end2end_detector_and_crop_tracking(tmp_path):
    model = released_layouts.simcc_file(tmp_path / "pose.onnx")
    det = released_layouts.detector_file(tmp_path / "yolox.onnx", (416, 416))
    video = tmp_path / "v.avi"
    w = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (320, 240))
    rng = np.random.default_rng(1)
    for _ in range(6):
        w.write(rng.integers(0, 255, (240, 320, 3), dtype=np.uint8))
    w.release()
    out = tmp_path / "out"
    assert main(["--input", str(video), "--pose-model", str(model), "--det-model", str(det),
                 "--outdir", str(out)]) == 0
    people = json.loads((out / "alphapose-results.json").read_text())
    assert people and {len(p["keypoints"]) for p in people} == {17 * 3}


def test_uncached_names_and_wrong_kinds_are_one_line_and_write_nothing(tmp_path, caplog, monkeypatch):
    monkeypatch.setenv("ALPHAPOSE_ROS_CACHE", str(tmp_path / "empty-cache"))
    img = frame(tmp_path / "a.jpg")
    out = tmp_path / "out"
    assert main(["--input", img, "--pose-model", "rtmw-m", "--outdir", str(out)]) == 2
    assert "rtmw-m is not in the cache" in caplog.text and "alphapose-download rtmw-m" in caplog.text
    det = released_layouts.detector_file(tmp_path / "yolox.onnx", (416, 416))
    assert main(["--input", img, "--pose-model", str(det), "--outdir", str(out)]) == 2
    assert "pass it as the detector" in caplog.text
    assert main(["--input", img, "--pose-model", "no-such-model", "--outdir", str(out)]) == 2
    assert "unknown pose model 'no-such-model'" in caplog.text
    assert not (out / "alphapose-results.json").exists()


def test_rtmo_runs_without_a_detector_through_pose_nms_and_tracking(tmp_path):
    model = released_layouts.rtmo_file(tmp_path / "rtmo.onnx")
    video = tmp_path / "v.avi"
    w = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (320, 240))
    for i in range(4):
        w.write(np.full((240, 320, 3), 60 + 20 * i, np.uint8))
    w.release()
    out = tmp_path / "out"
    assert main(["--input", str(video), "--pose-model", str(model), "--tracker", "msim", "--reid-weights", "none",
                 "--outdir", str(out)]) == 0
    people = json.loads((out / "alphapose-results.json").read_text())
    assert people and all(len(p["keypoints"]) == 17 * 3 and "idx" in p for p in people)
    assert len({p["image_id"] for p in people}) == 4
