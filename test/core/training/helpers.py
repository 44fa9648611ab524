"""Shared by the training tests: a tiny joint pose + re-ID config over a made identity dataset (also
for test/bench/test_reid_tracking), and the stop-and-resume check."""
import numpy as np
import torch
import yaml

from alphapose_ros.core.skeletons import get_format
from alphapose_ros.core.training.datasets import DatasetWriter
from alphapose_ros.synthetic.figures import identity_looks, make_image


def reid_config(tmp_path, reid, steps=4, images=8, lr=1e-3):
    folder = tmp_path / "ids"
    if not (folder / "annotations.json").exists():
        w = DatasetWriter(folder, get_format("halpe_136"))
        rng, looks = np.random.default_rng(0), identity_looks(4, 0)
        for _ in range(images):
            w.add(*make_image(rng, [], (160, 120), max_people=3, looks=looks))
        w.close()
    cfg = {"DATASET": {"TRAIN": {"SET_LIST": [{"ROOT": str(folder), "RATIO": 1.0}], "PGPG": "none"}},
           "DATA_PRESET": {"TYPE": "simple", "NUM_JOINTS": 26, "IMAGE_SIZE": [64, 48], "HEATMAP_SIZE": [16, 12]},
           "MODEL": {"TYPE": "FastPose", "NUM_LAYERS": 50, "WIDTH": 8, "CONV_DIM": 16},
           "LOSS": {"TYPE": "L1JointRegression", "NORM_TYPE": "sigmoid"},
           "TRAIN": {"BATCH_SIZE": 8, "STEPS": steps, "LR": lr, "SEED": 1, "SAVE_EVERY": 2, "EVAL_EVERY": 100,
                     "LOG_EVERY": 1},
           "REID": reid}
    path = tmp_path / f"{reid['TYPE']}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def assert_resumes_bit_for_bit(cfg, tmp_path, names=("model_4.pth",), steps=4):
    """Training straight to `steps` and stopping half way then resuming give identical files `names`."""
    from alphapose_ros.cli.train import main

    assert main(["--cfg", str(cfg), "--out", str(tmp_path / "straight"), "--no-progress"]) == 0
    assert main(["--cfg", str(cfg), "--out", str(tmp_path / "split"), "--steps", str(steps // 2),
                 "--no-progress"]) == 0
    assert main(["--cfg", str(cfg), "--out", str(tmp_path / "split"), "--no-progress"]) == 0
    for name in names:
        a = torch.load(tmp_path / "straight" / name, weights_only=True)
        b = torch.load(tmp_path / "split" / name, weights_only=True)
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), name
    return torch.load(tmp_path / "straight" / names[0], weights_only=True)
