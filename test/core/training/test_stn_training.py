"""Training with MODEL.STN: the transformer learns (its weights move away from the identity), resuming
stays bit for bit, and the checkpoint runs in the estimator with torch and with ONNX Runtime alike."""
import numpy as np
import pytest
import torch
import yaml

from .helpers import assert_resumes_bit_for_bit
from .test_trainer import _config


def _stn_config(tmp_path, steps=4):
    path = _config(tmp_path, steps=steps)
    raw = yaml.safe_load(path.read_text())
    raw["MODEL"]["STN"] = True
    path.write_text(yaml.safe_dump(raw))
    return path


def test_stn_training_resumes_bit_for_bit_and_moves_the_transformer(tmp_path):
    a = assert_resumes_bit_for_bit(_stn_config(tmp_path), tmp_path)
    last = [k for k in a if k.startswith("stn.loc.") and k.endswith("weight")][-1]
    assert a[last].abs().sum() > 0  # the localisation's last layer started at zero
    log = [yaml.safe_load(line) for line in (tmp_path / "straight" / "log.jsonl").read_text().splitlines()]
    assert all("parallel_loss" in e for e in log)


def test_stn_checkpoint_runs_in_the_estimator_with_torch_and_onnxruntime(tmp_path):
    pytest.importorskip("onnxruntime")
    from alphapose_ros.core.pose.estimator import PoseEstimator
    from alphapose_ros.core.training.trainer import Trainer

    cfg = _stn_config(tmp_path, steps=2)
    Trainer(cfg, tmp_path / "run").run(progress=False)
    img = np.random.default_rng(0).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    boxes = np.array([[10, 10, 60, 110], [70, 5, 150, 115]], np.float32)
    outs = [PoseEstimator.from_files(cfg, tmp_path / "run" / "model_2.pth", engine=e)(img, boxes)
            for e in ("torch", "onnxruntime")]
    assert np.isfinite(outs[0].keypoints).all()
    assert np.abs(outs[0].keypoints - outs[1].keypoints).max() < 0.05
