import zipfile

import pytest

from alphapose_ros.core.mediapipe import assets


def test_missing_models_name_the_command_that_fetches_them(tmp_path):
    with pytest.raises(assets.MediaPipeModelsMissing, match="alphapose_ros.cli.download mediapipe"):
        assets.model_path("pose_landmark", tmp_path)
    assert set(assets.missing(tmp_path)) == set(assets.MODELS)


def test_a_wheel_with_the_wrong_checksum_is_refused_and_nothing_is_written(tmp_path):
    wheel = tmp_path / assets.WHEEL_NAME
    with zipfile.ZipFile(wheel, "w") as z:
        for m in assets.MODELS.values():
            z.writestr(m.member, b"not a model")
    with pytest.raises(assets.MediaPipeModelsMissing, match="checksum"):
        assets.unpack(wheel, tmp_path / "cache")
    assert not any((tmp_path / "cache").rglob("*.tflite"))


def test_a_corrupted_cached_model_counts_as_missing(tmp_path, mediapipe_models):
    import shutil

    shutil.copytree(mediapipe_models, assets.model_dir(tmp_path))
    assert assets.missing(tmp_path) == []
    (assets.model_dir(tmp_path) / assets.MODELS["face_landmark"].name).write_bytes(b"truncated")
    assert assets.missing(tmp_path) == ["face_landmark"]


def test_fetch_does_not_download_when_everything_is_verified(tmp_path, mediapipe_models, monkeypatch):
    import shutil

    shutil.copytree(mediapipe_models, assets.model_dir(tmp_path))
    monkeypatch.setattr(assets, "download_wheel", lambda *a, **k: pytest.fail("downloaded again"))
    assert assets.fetch(cache=tmp_path) == assets.model_dir(tmp_path)
