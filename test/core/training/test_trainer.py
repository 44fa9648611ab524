"""The training loop: stopping and resuming gives bit-identical weights, checkpoints load
strictly into the network the config builds, and the teacher keeps confident joints only."""
import numpy as np
import torch
import yaml

from alphapose_ros.core.skeletons import get_format
from alphapose_ros.core.training.datasets import DatasetWriter
from alphapose_ros.synthetic.figures import make_image
from alphapose_ros.core.training.teacher import teacher_people

from .helpers import assert_resumes_bit_for_bit


def _config(tmp_path, steps=4, **train):
    w = DatasetWriter(tmp_path / "syn", get_format("halpe_136"))
    rng = np.random.default_rng(0)
    for _ in range(6):
        w.add(*make_image(rng, [], (160, 120), max_people=2))
    w.close()
    cfg = {"DATASET": {"TRAIN": {"TYPE": "ConcatDataset", "SET_LIST": [{"ROOT": str(tmp_path / "syn"), "RATIO": 1.0}],
                                 "AUG": {"ROT_FACTOR": 30}, "PGPG": "uniform"}},
           "DATA_PRESET": {"TYPE": "simple", "NUM_JOINTS": 26, "IMAGE_SIZE": [64, 48], "HEATMAP_SIZE": [16, 12]},
           "MODEL": {"TYPE": "FastPose", "NUM_LAYERS": 50, "WIDTH": 8, "CONV_DIM": 16},
           "LOSS": {"TYPE": "L1JointRegression", "NORM_TYPE": "sigmoid"},
           "TRAIN": {"BATCH_SIZE": 4, "STEPS": steps, "LR": 1e-3, "LR_STEP": [3], "SEED": 1, "SAVE_EVERY": 2,
                     "EVAL_EVERY": 100, "LOG_EVERY": 1, **train}}
    path = tmp_path / "train.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_resuming_from_a_checkpoint_is_bit_for_bit(tmp_path):
    a = assert_resumes_bit_for_bit(_config(tmp_path), tmp_path, ("model_4.pth",))
    first = torch.load(tmp_path / "split" / "model_2.pth", weights_only=True)
    assert not all(torch.equal(a[k], first[k]) for k in a)  # training did move the weights


def test_training_checkpoint_loads_strictly_and_runs_in_the_estimator(tmp_path):
    from alphapose_ros.core.pose.checkpoints import load_checkpoint
    from alphapose_ros.core.pose.estimator import PoseEstimator
    from alphapose_ros.core.models.config import build_model, load_config
    from alphapose_ros.core.training.trainer import Trainer

    cfg = _config(tmp_path, steps=2)
    tr = Trainer(cfg, tmp_path / "run")
    tr.run(progress=False)
    mc = load_config(cfg)
    model = load_checkpoint(build_model(mc), tmp_path / "run" / "model_2.pth", mc)
    out = PoseEstimator(mc, model)(np.zeros((120, 160, 3), np.uint8), np.array([[10, 10, 60, 110]], np.float32))
    assert out.keypoints.shape == (1, 26, 2) and np.isfinite(out.keypoints).all()


def test_symmetric_gradient_switch_reaches_the_loss(tmp_path):
    from alphapose_ros.core.training.trainer import Trainer

    grads = []
    for sym in (True, False):
        tr = Trainer(_config(tmp_path / str(sym), SYMMETRIC_GRAD=sym), tmp_path / f"run{sym}")
        x, t, w = tr.batch(0)
        tr.loss(tr.model(x), t, w).backward()
        grads.append(tr.model.conv_out.weight.grad.clone())
    assert not torch.allclose(grads[0], grads[1])


def test_teacher_keeps_confident_people_and_labels_only_confident_joints():
    kp = np.tile(np.linspace(10, 90, 26)[:, None], (2, 1, 2)).astype(np.float32)
    sc = np.full((2, 26), 0.9, np.float32)
    sc[0, :5] = 0.2
    sc[1, :20] = 0.1  # only 6 confident joints: dropped
    people = teacher_people(kp, sc, np.array([[5, 5, 95, 95], [5, 5, 95, 95]], np.float32), (100, 100))
    assert len(people) == 1
    v = people[0]["keypoints"][:, 2]
    assert (v[:5] == 0).all() and (v[5:] == 2).all()
