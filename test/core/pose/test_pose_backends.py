from pathlib import Path

import pytest

from alphapose_ros.core.pose import backends as pose_backends
from alphapose_ros.core.pose.backends import make_pose_estimator


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="unknown pose backend"):
        make_pose_estimator("openpose")


def test_config_without_checkpoint_or_cached_file_names_the_download_command(tmp_path, monkeypatch):
    monkeypatch.setenv("ALPHAPOSE_ROS_CACHE", str(tmp_path))
    cfg = tmp_path / "configs/coco/resnet/256x192_res50_lr1e-3_1x.yaml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text((Path(__file__).parents[2] / "ros/fixtures/fastpose_coco17.yaml").read_text())
    with pytest.raises(ValueError, match="alphapose-download --list"):
        make_pose_estimator("auto", cfg=str(cfg))


@pytest.mark.fault("config-malformed")
def test_a_missing_or_broken_config_is_named_before_the_missing_checkpoint(tmp_path):
    from alphapose_ros.core.models.config import ConfigError

    with pytest.raises(ConfigError, match="pose config not found"):
        make_pose_estimator("auto", cfg=str(tmp_path / "nope.yaml"))
    (tmp_path / "bad.yaml").write_text("MODEL: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        make_pose_estimator("auto", cfg=str(tmp_path / "bad.yaml"))


def test_cached_official_checkpoint_is_found_by_its_config_path(tmp_path, monkeypatch):
    monkeypatch.setenv("ALPHAPOSE_ROS_CACHE", str(tmp_path))
    (tmp_path / "fast_res50_256x192.pth").write_bytes(b"x")
    found = pose_backends.checkpoint_for_config("/home/me/AlphaPose/configs/coco/resnet/256x192_res50_lr1e-3_1x.yaml")
    assert found == tmp_path / "fast_res50_256x192.pth"
    assert "fast_res50_coco" in pose_backends.cached_official_models()


def test_auto_without_config_is_mediapipe_and_says_so(mediapipe_models, caplog):
    caplog.set_level("INFO")
    est = make_pose_estimator("auto", keypoint_format="halpe_26")
    assert est.head == "mediapipe" and est.format.name == "halpe_26"
    assert "no-download MediaPipe" in caplog.text
