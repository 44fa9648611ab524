"""The model trained here and shipped under models/local: the file is the one its card names, it
loads strictly into the network its config builds, and it finds people on synthetic scenes it
never saw, where the same network untrained finds none."""
import hashlib
from pathlib import Path

import torch

from alphapose_ros.cli.make_training_data import synthetic
from alphapose_ros.core.pose.checkpoints import load_checkpoint
from alphapose_ros.core.models.config import build_model, load_config
from alphapose_ros.core.training.datasets import KeypointDataset
from alphapose_ros.core.training.evaluate_pose import evaluate_model

LOCAL = Path(__file__).resolve().parents[3] / "models" / "local"
WEIGHTS = LOCAL / "fastpose_small_halpe26_sikr.pth"


def test_shipped_weights_are_the_ones_the_model_card_names():
    digest = hashlib.sha256(WEIGHTS.read_bytes()).hexdigest()
    assert f"sha256 `{digest}`" in (LOCAL / "MODEL_CARD.md").read_text()


def test_shipped_model_finds_people_on_unseen_synthetic_scenes(tmp_path, footage):
    cfg = load_config(LOCAL / "fastpose_small_halpe26.yaml")
    synthetic(tmp_path, images=30, seed=11, size=(384, 288))  # seeds 0 and 1 made its train/val sets
    data = KeypointDataset(tmp_path, cfg.keypoint_format)
    trained = evaluate_model(load_checkpoint(build_model(cfg), WEIGHTS, cfg), cfg, data)
    torch.manual_seed(0)
    untrained = evaluate_model(build_model(cfg).eval(), cfg, data)
    assert trained["AP50"] > 0.25 and trained["AP"] > 0.08, trained
    assert untrained["AP50"] < 0.02, untrained
