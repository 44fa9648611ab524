"""alphapose-download against files served from localhost: verified, atomic, contained."""
import hashlib
import http.server
import threading
from functools import partial

import pytest
import torch

from alphapose_ros.cli.download import main
from alphapose_ros.core.pose.model_zoo import ModelEntry, ModelZooError, install, load_manifest, safe_name


@pytest.fixture()
def served(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    yield root, f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def _coco_ckpt(path):
    torch.save({"conv_out.weight": torch.zeros(17, 128, 3, 3), "conv_out.bias": torch.zeros(17)}, path)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_download_verifies_and_caches(served, tmp_path):
    root, base = served
    sha = _coco_ckpt(root / "fast.pth")
    cache = tmp_path / "cache"
    assert main(["fast_res50_coco", "--url", f"{base}/fast.pth", "--sha256", sha, "--cache", str(cache)]) == 0
    assert (cache / "fast_res50_256x192.pth").read_bytes() == (root / "fast.pth").read_bytes()


@pytest.mark.fault("download-corrupt")
def test_corrupt_or_truncated_download_is_refused_and_leaves_nothing(served, tmp_path):
    root, base = served
    _coco_ckpt(root / "fast.pth")
    (root / "trunc.pth").write_bytes((root / "fast.pth").read_bytes()[:100])
    cache = tmp_path / "cache"
    assert main(["fast_res50_coco", "--url", f"{base}/trunc.pth", "--cache", str(cache)]) == 1
    assert main(["fast_res50_coco", "--url", f"{base}/fast.pth", "--sha256", "0" * 64, "--cache", str(cache)]) == 1
    assert not any(cache.iterdir())


@pytest.mark.fault("checkpoint-mismatched")
def test_checkpoint_for_another_format_is_refused(tmp_path):
    f = tmp_path / "x.pth"
    _coco_ckpt(f)
    entry = load_manifest()["halpe136_fast50_regression"]
    with pytest.raises(ModelZooError, match="not a halpe_136 pose checkpoint"):
        install(entry, from_file=f, cache=tmp_path / "c")


@pytest.mark.fault("download-corrupt")
def test_darknet_weights_of_the_wrong_size_are_refused(tmp_path):
    f = tmp_path / "yolo.weights"
    f.write_bytes(b"\0" * 1000)
    with pytest.raises(ModelZooError, match="1000 bytes, expected 252209544"):
        install(load_manifest()["yolov3-spp"], from_file=f, cache=tmp_path / "c")


@pytest.mark.fault("download-corrupt")
def test_yolox_checkpoint_must_be_the_variant_it_is_installed_as(tmp_path):
    from alphapose_ros.core.detectors.yolox_net import YoloxNet

    f = tmp_path / "yolox.pth"
    torch.save({"model": YoloxNet("yolox-nano").state_dict()}, f)
    m = load_manifest()
    with pytest.raises(ModelZooError, match="not a yolox-s checkpoint .it looks like yolox-nano"):
        install(m["yolox-s"], from_file=f, cache=tmp_path / "c")
    assert install(m["yolox-nano"], from_file=f, cache=tmp_path / "c").name == "yolox_nano.pth"


def test_reid_weights_import_only_when_they_fit_osnet_ain(tmp_path):
    from alphapose_ros.core.reid.osnet_ain import OSNetAIN

    entry = load_manifest()["osnet_ain_x1_0_msmt17"]
    f = tmp_path / "osnet.pth"
    _coco_ckpt(f)
    with pytest.raises(ModelZooError, match="OSNet-AIN"):
        install(entry, from_file=f, cache=tmp_path / "c")
    torch.save({"state_dict": OSNetAIN(num_classes=4101).state_dict(), "epoch": 50}, f)
    assert install(entry, from_file=f, cache=tmp_path / "c").name == entry.file


@pytest.mark.fault("download-bad-paths")
@pytest.mark.parametrize("bad", ["../evil.pth", "/etc/passwd", "a/b.pth", "..", ".hidden"])
def test_names_cannot_escape_the_cache(bad, tmp_path):
    with pytest.raises(ModelZooError, match="plain file name"):
        safe_name(bad)
    with pytest.raises(ModelZooError):
        install(ModelEntry("x", "pose", bad), from_file=tmp_path / "f.pth", cache=tmp_path / "c")


def test_manifest_lists_pose_and_detector_models():
    m = load_manifest()
    assert m["halpe136_fast50_regression"].format == "halpe_136" and m["yolov3-spp"].kind == "detector"
    assert all(e.links or e.url for e in m.values())
    assert all(e.url.startswith("https://download.openmmlab.com/") for e in m.values() if e.url)
    from alphapose_ros.core.detectors.factory import YOLOX_VARIANTS
    from alphapose_ros.core.detectors.yolox_net import VARIANTS

    assert tuple(VARIANTS) == YOLOX_VARIANTS and all(v in m for v in YOLOX_VARIANTS)


@pytest.mark.fault("download-bad-paths")
def test_missing_import_file_and_a_file_as_cache_are_one_line_each(tmp_path, capsys):
    assert main(["fast_res50_coco", "--from-file", str(tmp_path / "nope.pth"), "--cache", str(tmp_path)]) == 2
    assert "--from-file" in capsys.readouterr().err
    (tmp_path / "cache_file").write_text("x")
    ckpt = tmp_path / "c.pth"
    _coco_ckpt(ckpt)
    assert main(["fast_res50_coco", "--from-file", str(ckpt), "--cache", str(tmp_path / "cache_file")]) == 2
    err = capsys.readouterr().err
    assert "is a file, not a folder" in err and "Traceback" not in err
