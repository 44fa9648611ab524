"""alphapose-download for the RTMPose family: the released zip is unpacked, its end2end.onnx checked against
what the name promises (family, keypoints, input size) and cached; anything else is refused, nothing cached."""
from __future__ import annotations

import zipfile

import pytest
import yaml

from alphapose_ros.cli.download import main
from alphapose_ros.core.pose.model_zoo import manifest_path
from alphapose_ros.synthetic import released_layouts

from test_download import served  # noqa: F401  (the localhost file server fixture)


def archive(path, members: dict) -> str:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return str(path)


def test_a_released_archive_is_unpacked_checked_and_cached(tmp_path):
    onnx = released_layouts.simcc_file(tmp_path / "end2end.onnx", 133, (256, 192)).read_bytes()
    zipped = archive(tmp_path / "rtmw.zip", {"rtmw-dw-l-m/end2end.onnx": onnx, "rtmw-dw-l-m/pipeline.json": "{}"})
    assert main(["rtmw-m", "--from-file", zipped, "--cache", str(tmp_path / "cache")]) == 0
    assert (tmp_path / "cache" / "rtmw-m.onnx").read_bytes() == onnx


def test_a_file_that_breaks_the_names_promise_is_refused(tmp_path, capsys):
    body = released_layouts.simcc_file(tmp_path / "end2end.onnx", 17, (256, 192)).read_bytes()
    zipped = archive(tmp_path / "a.zip", {"x/end2end.onnx": body})
    assert main(["rtmw-m", "--from-file", zipped, "--cache", str(tmp_path / "cache")]) == 1
    assert "not the promised simcc (coco_wholebody_133" in capsys.readouterr().err
    det = released_layouts.detector_file(tmp_path / "det.onnx", (640, 640))
    assert main(["yolox-tiny-human", "--from-file", str(det), "--cache", str(tmp_path / "cache")]) == 1
    assert "input 640x640), not the promised detector (no keypoints, input 416x416)" in capsys.readouterr().err
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())


@pytest.mark.parametrize("members,said", [({"a/end2end.onnx": b"x", "b/end2end.onnx": b"y"}, "expected one end2end"),
                                          ({"a/readme.txt": b"x"}, "no .onnx file"),
                                          ({"a/end2end.onnx": b"not onnx"}, "not a readable ONNX file")])
def test_archives_without_one_good_onnx_are_refused(tmp_path, capsys, members, said):
    assert main(["rtmpose-m", "--from-file", archive(tmp_path / "a.zip", members),
                 "--cache", str(tmp_path / "cache")]) == 1
    assert said in capsys.readouterr().err
    assert not any((tmp_path / "cache").iterdir())


def test_without_a_source_the_authors_url_is_fetched(served, tmp_path, monkeypatch):  # noqa: F811
    root, base = served
    onnx = released_layouts.detector_file(tmp_path / "end2end.onnx", (416, 416)).read_bytes()
    archive(root / "yolox_tiny.zip", {"yolox/end2end.onnx": onnx})
    manifest = yaml.safe_load(manifest_path().read_text())
    manifest["detector"]["yolox-tiny-human"]["url"] = f"{base}/yolox_tiny.zip"
    (tmp_path / "manifest.yaml").write_text(yaml.safe_dump(manifest))
    monkeypatch.setenv("ALPHAPOSE_ROS_MANIFEST", str(tmp_path / "manifest.yaml"))
    assert main(["yolox-tiny-human", "--cache", str(tmp_path / "cache")]) == 0
    assert (tmp_path / "cache" / "yolox-tiny-human.onnx").read_bytes() == onnx


def test_the_presets_name_models_the_manifest_can_fetch():
    from alphapose_ros.core.pose.model_zoo import load_manifest

    m = load_manifest()
    presets = sorted((manifest_path().parents[1] / "config" / "presets").glob("rtm*.yaml"))
    names = []
    for p in presets:
        cfg = yaml.safe_load(p.read_text())
        for node, key in (("detection", "det_model"), ("pose_estimation", "pose_model")):
            if node in cfg:
                names.append((p.stem, cfg[node]["ros__parameters"][key]))
    assert len(presets) == 4 and len(names) == 7 and all(n in m and m[n].url for _, n in names), names
