"""The node graph started as the runner starts it (one process per node, or the composed container) with a
small untrained model and external boxes, and a synthetic moving scene to feed it."""
from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import yaml

SMALL_MODEL = {"DATASET": {"TRAIN": {"TYPE": "Mscoco"}},
               "DATA_PRESET": {"TYPE": "simple", "NUM_JOINTS": 17, "IMAGE_SIZE": [64, 48],
                               "HEATMAP_SIZE": [16, 12]},
               "MODEL": {"TYPE": "FastPose", "NUM_LAYERS": 50}, "LOSS": {"TYPE": "MSELoss"}}


def scene(frame: int, people: int, w: int = 320, h: int = 240) -> tuple[np.ndarray, np.ndarray]:
    """(BGR image, boxes (people,4)): people walking back and forth across a grey floor."""
    img = np.full((h, w, 3), 30, np.uint8)
    boxes = []
    for p in range(people):
        span = w - 60
        x = 30 + (frame * (4 + p) + p * 70) % (2 * span)
        x = x if x < span + 30 else 2 * span + 60 - x
        b = [x - 20, 50 + 10 * (p % 3), x + 20, 190 + 10 * (p % 3)]
        img[b[1]:b[3], b[0]:b[2]] = (90 + 40 * p % 160, 140, 200)
        boxes.append(b)
    return img, np.array(boxes, np.float32).reshape(-1, 4)


def graph_parameters(model_cfg: str, offline: bool = True, detector: str = "external") -> dict:
    """Parameters for the four stage nodes: by default external boxes; untrained weights."""
    return {"detection": {"detector": detector, "offline": offline},
            "pose_estimation": {"pose_config": model_cfg, "allow_untrained": True, "offline": offline},
            "pose_nms": {"offline": offline, "score_thresh": 0.0},
            "tracking": {"offline": offline}}


def graph_commands(workdir: Path, composed: bool = False, offline: bool = True, model: dict | None = None,
                   detector: str = "external") -> dict[str, list[str]]:
    """Write the model config (default SMALL_MODEL) and parameter file into `workdir`; the command
    line of each of the graph's processes (as the runner starts them), by node name ("pipeline"
    when composed)."""
    from alphapose_ros.ros.graph import GraphOptions, plan
    from alphapose_ros.ros.runner import commands, share_dir

    cfg = workdir / "small_model.yaml"
    cfg.write_text(yaml.safe_dump(model or SMALL_MODEL))
    params = workdir / "params.yaml"
    params.write_text(yaml.safe_dump({n: {"ros__parameters": v}
                                      for n, v in graph_parameters(str(cfg), offline, detector).items()}))
    p = plan(GraphOptions(params_file=str(params), preset="none", visualization=False), share_dir())
    names = ["pipeline"] if composed else [s.name for s in p.nodes]
    return dict(zip(names, commands(p, separate=not composed)))


def start(name: str, cmd: list[str], workdir: Path, env: dict) -> subprocess.Popen:
    """One graph process, its output appended to <workdir>/<name>.log."""
    return subprocess.Popen(cmd, env=env, stdout=open(workdir / f"{name}.log", "a"), stderr=subprocess.STDOUT)
