"""alphapose-infer end to end: official config layout, locally made weights, a detfile, real footage."""
import json
import cv2

import numpy as np
import pytest
import torch
import yaml
from conftest import layout_config

from alphapose_ros.cli.infer import main
from alphapose_ros.core.io.results import validate_alphapose_records
from alphapose_ros.core.models.config import build_model, load_config

pytestmark = [pytest.mark.reference]


def _config_file(reference, directory, name: str):
    """A --cfg YAML with the model facts of an official checkpoint layout (FastPose-50 Halpe-136 SIKR)."""
    layout = json.loads((reference / "checkpoints" / f"{name}.json").read_text())
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(layout_config(layout)))
    return path


@pytest.fixture(scope="module")
def model_files(reference, tmp_path_factory):
    d = tmp_path_factory.mktemp("model")
    cfg = _config_file(reference, d, "halpe_136__resnet__256x192_res50_lr1e-3_2x-regression")
    torch.manual_seed(0)
    model = build_model(load_config(cfg))
    ckpt = d / "halpe136_fast50_regression_random.pth"
    torch.save(model.state_dict(), ckpt)
    return cfg, ckpt


def _detfile(path, entries):
    recs = [{"image_id": img, "category_id": 1, "bbox": list(map(float, b)), "score": s} for img, b, s in entries]
    path.write_text(json.dumps(recs))
    return path


def test_video_frames_with_detfile_give_valid_alphapose_json(model_files, footage, tmp_path):
    cfg, ckpt = model_files
    det = _detfile(tmp_path / "det.json", [("0.jpg", [300, 150, 60, 160], 0.9), ("0.jpg", [303, 152, 58, 158], 0.6),
                                           ("1.jpg", [100, 100, 50, 150], 0.8)])
    rc = main(["--cfg", str(cfg), "--checkpoint", str(ckpt), "--input", str(footage / "vtest.avi"),
               "--detfile", str(det), "--outdir", str(tmp_path / "out"), "--max-frames", "3", "--posebatch", "4"])
    assert rc == 0
    recs = json.loads((tmp_path / "out/alphapose-results.json").read_text())
    validate_alphapose_records(recs, 136)
    assert {r["image_id"] for r in recs} <= {"0.jpg", "1.jpg"} and any(r["image_id"] == "1.jpg" for r in recs)
    for r in recs:
        assert isinstance(r["idx"], list) and r["box"][2] > 0


@pytest.mark.fault("infer-broken-image")
def test_an_unreadable_image_is_skipped_and_the_others_processed(model_files, tmp_path, caplog):
    import cv2

    cfg, ckpt = model_files
    images = tmp_path / "images"
    images.mkdir()
    cv2.imwrite(str(images / "a_good.png"), np.full((120, 80, 3), 90, np.uint8))
    (images / "b_broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    (images / "c_empty.png").write_bytes(b"")
    det = _detfile(tmp_path / "det.json", [("a_good.png", [10, 10, 40, 90], 0.9)])
    rc = main(["--cfg", str(cfg), "--checkpoint", str(ckpt), "--input", str(images), "--detfile", str(det),
               "--outdir", str(tmp_path / "out")])
    recs = json.loads((tmp_path / "out/alphapose-results.json").read_text())
    assert rc == 0 and {r["image_id"] for r in recs} == {"a_good.png"}
    assert "skipping unreadable image" in caplog.text and "b_broken.jpg" in caplog.text and "c_empty.png" in caplog.text


def test_image_with_saved_visualisation_and_openpose_format(model_files, footage, tmp_path):
    cfg, ckpt = model_files
    det = _detfile(tmp_path / "det.json", [("basketball1.png", [200, 50, 120, 250], 0.9)])
    out = tmp_path / "out"
    rc = main(["--cfg", str(cfg), "--checkpoint", str(ckpt), "--input", str(footage / "basketball1.png"),
               "--detfile", str(det), "--outdir", str(out), "--save-img", "--format", "open"])
    assert rc == 0
    res = json.loads((out / "alphapose-results.json").read_text())
    people = res["basketball1.png"]["people"]
    assert len(people) == 1 and len(people[0]["pose_keypoints_2d"]) == 18 * 3
    assert (out / "vis" / "basketball1.png").stat().st_size > 1000


@pytest.mark.fault("checkpoint-mismatched")
def test_mismatched_checkpoint_is_a_clear_error_not_a_crash(reference, model_files, footage, tmp_path, caplog):
    _, ckpt = model_files
    coco = _config_file(reference, tmp_path, "coco__resnet__256x192_res50_lr1e-3_1x")
    det = _detfile(tmp_path / "det.json", [])
    rc = main(["--cfg", str(coco), "--checkpoint", str(ckpt), "--input", str(footage / "messi5.jpg"),
               "--detfile", str(det), "--outdir", str(tmp_path / "o")])
    assert rc == 2 and "does not fit the network" in caplog.text and "136 keypoints" in caplog.text


@pytest.mark.fault("checkpoint-mismatched")
def test_missing_checkpoint_is_reported(model_files, tmp_path, caplog):
    det = _detfile(tmp_path / "det.json", [])
    rc = main(["--cfg", str(model_files[0]), "--checkpoint", str(tmp_path / "nope.pth"), "--input", _png(tmp_path),
               "--detfile", str(det)])
    assert rc == 2 and "checkpoint not found" in caplog.text


@pytest.mark.fault("checkpoint-code-pickle")
def test_code_carrying_pickle_is_refused(model_files, tmp_path, caplog):
    import os
    import pickle

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'pwned'}",))

    bad = tmp_path / "evil.pth"
    bad.write_bytes(pickle.dumps({"state_dict": Evil()}))
    det = _detfile(tmp_path / "det.json", [])
    rc = main(["--cfg", str(model_files[0]), "--checkpoint", str(bad), "--input", _png(tmp_path), "--detfile", str(det)])
    assert rc == 2 and not (tmp_path / "pwned").exists() and "cannot read checkpoint" in caplog.text


def test_detfile_lookup_by_coco_integer_id(tmp_path):
    from alphapose_ros.core.io.detfile import DetectionFile

    det = DetectionFile(_detfile(tmp_path / "d.json", [(139, [1, 2, 3, 4], 0.5), (139, [0, 0, 0, 5], 0.9)]))
    boxes, scores = det.boxes_for("000000000139.jpg")
    np.testing.assert_allclose(boxes, [[1, 2, 4, 6]])  # zero-width box dropped
    assert det.boxes_for("other.jpg")[0].shape == (0, 4)


def test_no_download_hog_detector_end_to_end_on_video(model_files, footage, tmp_path):
    cfg, ckpt = model_files
    out = tmp_path / "out"
    rc = main(["--cfg", str(cfg), "--checkpoint", str(ckpt), "--input", str(footage / "vtest.avi"),
               "--detector", "hog", "--no-crop-tracking", "--outdir", str(out), "--max-frames", "2", "--save-video"])
    assert rc == 0
    recs = json.loads((out / "alphapose-results.json").read_text())
    validate_alphapose_records(recs, 136)
    assert recs and (out / "alphapose-result.avi").stat().st_size > 10_000


@pytest.mark.fault("detector-cannot-load")
@pytest.mark.parametrize("detector, says", [("yolov3", "needs a darknet cfg and weights"),
                                             ("yolox-l", "needs its release checkpoint (yolox_l.pth")])
def test_detector_without_weights_says_what_to_do(model_files, tmp_path, caplog, detector, says):
    cfg, ckpt = model_files
    rc = main(["--cfg", str(cfg), "--checkpoint", str(ckpt), "--input", _png(tmp_path), "--detector", detector,
               "--outdir", str(tmp_path / "o")])
    assert rc == 2 and says in caplog.text


@pytest.mark.fault("detfile-not-detections")
@pytest.mark.parametrize("content, message", [
    ("[[1, 2, 3, 4]]", "record 0 is not a detection (a list, not a mapping)"),
    ("[null]", "record 0 is not a detection (a NoneType"),
    ('["139.jpg"]', "record 0 is not a detection (a str"),
    ("[{bad json", "not a JSON detection file"),
])
def test_detfile_that_is_not_detections_is_one_line_naming_the_file(tmp_path, content, message):
    from alphapose_ros.core.io.detfile import DetectionFile

    path = tmp_path / "det.json"
    path.write_text(content)
    with pytest.raises(ValueError) as e:
        DetectionFile(path)
    assert message in str(e.value) and str(path) in str(e.value)


@pytest.mark.fault("infer-unwritable-output")
@pytest.mark.parametrize("make_bad, flags, says", [
    (lambda out: out.parent.joinpath("file").write_text("x"), ["--outdir", "{tmp}/file/out"],
     "cannot create the output folder"),
    (lambda out: (out / "alphapose-result.avi").mkdir(parents=True), ["--save-video"],
     "alphapose-result.avi is a folder"),
])
def test_unwritable_outputs_are_refused_before_anything_is_computed(model_files, footage, tmp_path, caplog,
                                                                    monkeypatch, make_bad, flags, says):
    import alphapose_ros.cli.infer as infer

    cfg, ckpt = model_files
    out = tmp_path / "out"
    make_bad(out)
    monkeypatch.setattr(infer, "make_pose_estimator", lambda *a, **k: pytest.fail("computed before checking"))
    flags = [f.replace("{tmp}", str(tmp_path)) for f in flags]
    rc = main(["--cfg", str(cfg), "--checkpoint", str(ckpt), "--input", str(footage / "vtest.avi"),
               "--detector", "hog", "--no-crop-tracking", "--outdir", str(out), *flags])
    assert rc == 2 and says in caplog.text


@pytest.mark.fault("infer-interrupted")
def test_interrupted_run_keeps_the_frames_it_finished(model_files, footage, tmp_path, caplog, monkeypatch):
    import alphapose_ros.cli.infer as infer

    cfg, ckpt = model_files
    drawn = []

    def draw_then_interrupt(frame, poses, *args):  # Ctrl-C arrives while the third frame is drawn
        drawn.append(1)
        if len(drawn) == 3:
            raise KeyboardInterrupt
        return frame

    monkeypatch.setattr(infer, "draw_poses", draw_then_interrupt)
    out = tmp_path / "out"
    rc = main(["--cfg", str(cfg), "--checkpoint", str(ckpt), "--input", str(footage / "vtest.avi"),
               "--detector", "hog", "--no-crop-tracking", "--outdir", str(out), "--max-frames", "5", "--save-img",
               "--sequential"])
    recs = json.loads((out / "alphapose-results.json").read_text())
    assert rc == 130 and "interrupted; writing the results of the 2 frames done" in caplog.text
    assert {r["image_id"] for r in recs} <= {"0.jpg", "1.jpg"} and recs


def test_crop_tracking_on_video_finds_people_with_the_detector_on_few_frames(mediapipe_models, footage, tmp_path,
                                                                            caplog):
    import logging

    caplog.set_level(logging.INFO)
    out = tmp_path / "out"
    assert main(["--input", str(footage / "vtest.avi"), "--outdir", str(out), "--max-frames", "12",
                 "--detector", "hog-small", "--crop-tracking", "--detect-every", "6", "--sequential"]) == 0
    recs = json.loads((out / "alphapose-results.json").read_text())
    validate_alphapose_records(recs, 26)
    assert len({r["image_id"] for r in recs}) >= 10  # people on (nearly) every frame
    runs = [int(m.split("detector on ")[1].split()[0]) for m in caplog.messages if "detector on" in m]
    assert runs and runs[0] < 12
    with pytest.raises(SystemExit):
        main(["--input", str(footage / "vtest.avi"), "--outdir", str(out), "--crop-tracking", "--detect-every", "0"])


@pytest.mark.fault("infer-bad-input-keeps-results")
@pytest.mark.parametrize("make, says", [(lambda t: t / "missing.jpg", "no such file or folder"),
                                        (lambda t: t / "misspeled.avi", "no such file or folder"),
                                        (lambda t: _garbage(t / "broken.avi"), "the video cannot be opened"),
                                        (lambda t: _folder(t / "empty"), "the folder holds no images")])
def test_a_bad_input_is_named_before_anything_loads_and_finished_results_stay(tmp_path, caplog, make, says):
    out = tmp_path / "out"
    out.mkdir()
    finished = '[{"image_id": "0.jpg", "keypoints": [1, 2, 0.9], "score": 1.0}]'
    (out / "alphapose-results.json").write_text(finished)
    assert main(["--input", str(make(tmp_path)), "--outdir", str(out)]) == 2
    assert (out / "alphapose-results.json").read_text() == finished
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and says in errors[0] and "--input" in errors[0]
    assert not any("pose_backends" in r.name for r in caplog.records)  # no model was loaded


def _garbage(path):
    path.write_bytes(b"\x00not a video" * 100)
    return path


def _folder(path):
    path.mkdir()
    (path / "notes.txt").write_text("no images here")
    return path


def _png(tmp_path):
    cv2.imwrite(str(tmp_path / "x.png"), np.zeros((8, 8, 3), np.uint8))
    return str(tmp_path / "x.png")


@pytest.mark.fault("disk-full")
def test_a_full_disk_stops_the_video_with_one_line_and_keeps_the_results_or_the_earlier_ones(
        footage, mediapipe_models, tmp_path, caplog, monkeypatch):
    import collections
    import pathlib

    from alphapose_ros.core.io import video_out

    calls = []
    Usage = collections.namedtuple("Usage", "total used free")

    def filling(path):
        calls.append(1)
        return Usage(1 << 30, 1 << 30, 1 << 30 if len(calls) <= 3 else 1000)

    monkeypatch.setattr(video_out.shutil, "disk_usage", filling)
    out = tmp_path / "out"
    assert main(["--input", str(footage / "vtest.avi"), "--outdir", str(out), "--save-video", "--max-frames", "8",
                 "--detector", "hog"]) == 2
    assert "no space left for the video" in caplog.text and "after 3 frames" in caplog.text
    assert {r["image_id"] for r in json.loads((out / "alphapose-results.json").read_text())} <= {"0.jpg", "1.jpg",
                                                                                                "2.jpg"}
    finished = (out / "alphapose-results.json").read_text()
    real_write = pathlib.Path.write_text

    def full(self, *a, **k):
        if self.name.endswith(".tmp"):
            raise OSError(28, "No space left on device")
        return real_write(self, *a, **k)

    monkeypatch.setattr(pathlib.Path, "write_text", full)
    caplog.clear()
    assert main(["--input", str(footage / "vtest.avi"), "--outdir", str(out), "--max-frames", "2",
                 "--detector", "hog"]) == 2
    assert "No space left on device: the results of 2 frames could not be saved" in caplog.text
    assert (out / "alphapose-results.json").read_text() == finished and not list(out.glob("*.tmp"))
