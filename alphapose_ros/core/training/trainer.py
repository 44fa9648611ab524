"""Training loop driven by an AlphaPose-style YAML config: resumable bit for bit, with a
loss/AP log, writing checkpoints in the layout the loader reads (a plain state_dict).

Fields read besides the model's own (MODEL, DATA_PRESET, LOSS):
  DATASET.TRAIN.SET_LIST: [{ROOT: folder with annotations.json + images/, RATIO: share of each batch}]
  DATASET.TRAIN.AUG: AlphaPose's augmentation fields; DATASET.TRAIN.PGPG: "uniform", "none" or a fitted model (YAML)
  DATASET.VAL: {ROOT: ...} (optional)
  REID: a re-ID network trained jointly (core.training.joint_reid), written as reid_<step>.pth (optional)
  TRAIN: BATCH_SIZE, STEPS, LR, LR_STEP (steps), LR_FACTOR, SEED, SAVE_EVERY, EVAL_EVERY, LOG_EVERY,
         SYMMETRIC_GRAD (SIKR's amplitude-symmetric gradient; default true),
         PARALLEL_SPPE (weight of the parallel SPPE loss when MODEL.STN is set; default 1, 0 = none)
Every batch depends only on (SEED, step), so stopping and resuming changes nothing.
"""
from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
import yaml

from alphapose_ros.core.models.config import PoseModelConfig, build_model, parse_config
from alphapose_ros.core.training.augment import AugmentConfig, training_sample
from alphapose_ros.core.training.datasets import KeypointDataset, MixedBatches
from alphapose_ros.core.training.joint_reid import JointReID, ReIDSettings
from alphapose_ros.core.training.parallel_sppe import backward_with_parallel, stn_losses
from alphapose_ros.core.training.pgpg import ProposalModel
from alphapose_ros.core.training.sikr_loss import heatmap_mse_loss, sikr_l1_loss

CHECKPOINT = "checkpoint.pth"   # model + optimizer + step: what --resume reads


@dataclass
class TrainSettings:
    batch_size: int = 32
    steps: int = 1000
    lr: float = 1e-3
    lr_step: tuple[int, ...] = ()
    lr_factor: float = 0.1
    seed: int = 0
    save_every: int = 250
    eval_every: int = 250
    log_every: int = 10
    symmetric_grad: bool = True
    parallel_sppe: float = 1.0

    @classmethod
    def from_alphapose(cls, t: dict) -> "TrainSettings":
        return cls(int(t.get("BATCH_SIZE", 32)), int(t.get("STEPS", 1000)), float(t.get("LR", 1e-3)),
                   tuple(int(s) for s in t.get("LR_STEP", ())), float(t.get("LR_FACTOR", 0.1)),
                   int(t.get("SEED", 0)), int(t.get("SAVE_EVERY", 250)), int(t.get("EVAL_EVERY", 250)),
                   int(t.get("LOG_EVERY", 10)), bool(t.get("SYMMETRIC_GRAD", True)),
                   float(t.get("PARALLEL_SPPE", 1.0)))

    def lr_at(self, step: int) -> float:
        return self.lr * self.lr_factor ** sum(step >= s for s in self.lr_step)


def _root(entry: dict) -> Path:
    """A dataset folder; relative paths are from the working directory, as in AlphaPose."""
    return Path(entry["ROOT"]).expanduser()


class Trainer:
    """Everything a run needs, built from one config file."""

    def __init__(self, cfg_path: str | Path, out_dir: str | Path):
        cfg_path = Path(cfg_path)
        self.raw = yaml.safe_load(cfg_path.read_text())
        self.model_cfg: PoseModelConfig = parse_config(self.raw, str(cfg_path))
        self.settings = TrainSettings.from_alphapose(self.raw.get("TRAIN", {}))
        train = self.raw["DATASET"]["TRAIN"]
        sets = train.get("SET_LIST") or [train]
        fmt = self.model_cfg.keypoint_format
        self.datasets = [KeypointDataset(_root(s), fmt) for s in sets]
        self.ratios = [float(s.get("RATIO", 1.0)) for s in sets]
        self.aug = AugmentConfig.from_alphapose(train.get("AUG", {}))
        pgpg = str(train.get("PGPG", "uniform"))
        self.proposals = (None if pgpg == "none" else ProposalModel() if pgpg == "uniform"
                          else ProposalModel.from_dict(yaml.safe_load(_root({"ROOT": pgpg}).read_text())))
        val = self.raw["DATASET"].get("VAL")
        self.val = KeypointDataset(_root(val), fmt) if val else None
        self.batches = MixedBatches([len(d) for d in self.datasets], self.ratios, self.settings.batch_size,
                                    self.settings.seed)
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(self.settings.seed)
        self.model = build_model(self.model_cfg).train()
        self.reid = None
        if self.raw.get("REID"):
            if self.model_cfg.stn:
                raise ValueError("MODEL.STN and REID together are not supported: train them apart")
            k = self.datasets[0].target.num_keypoints
            self.reid = JointReID(ReIDSettings.from_dict(self.raw["REID"]), self.model, k,
                                  max(d.num_identities for d in self.datasets)).train()
        params = list(self.model.parameters()) + ([] if self.reid is None else list(self.reid.parameters()))
        self.optimizer = torch.optim.Adam(params, lr=self.settings.lr)
        self.step = 0
        self._images: dict[Path, np.ndarray] = {}

    # --- data
    def _image(self, path: Path) -> np.ndarray:
        img = self._images.get(path)
        if img is None:
            bgr = cv2.imread(str(path))
            if bgr is None:
                raise ValueError(f"cannot read training image {path}")
            img = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            if len(self._images) < 4000:  # small datasets stay decoded in memory
                self._images[path] = img
        return img

    def batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Inputs (B,3,H,W), targets (B,K,2) heatmap px, weights (B,K) for training step `step`."""
        xs, ts, ws = [], [], []
        c = self.model_cfg
        fmt = self.datasets[0].target
        for d, i, seed in self.batches.batch(step):
            s = self.datasets[d].samples[i]
            x, t, w = training_sample(self._image(s.image_path), s.keypoints, s.box, fmt, c.input_hw, c.heatmap_hw,
                                      np.random.default_rng(seed), self.aug, self.proposals)
            xs.append(x), ts.append(t), ws.append(w)
        return torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(ts)), torch.from_numpy(np.stack(ws))

    def batch_identities(self, step: int) -> torch.Tensor:
        """(B,) the identity of each sample of batch `step` (-1: none), in batch() order."""
        return torch.tensor([self.datasets[d].samples[i].identity for d, i, _ in self.batches.batch(step)])

    # --- optimisation
    def loss(self, out: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        if self.model_cfg.head == "heatmap":
            return heatmap_mse_loss(out, target, weight)
        return sikr_l1_loss(out, target, weight, norm=self.model_cfg.norm_type,
                            symmetric=self.settings.symmetric_grad)

    def train_step(self) -> float:
        x, t, w = self.batch(self.step)
        for g in self.optimizer.param_groups:
            g["lr"] = self.settings.lr_at(self.step)
        self.optimizer.zero_grad(set_to_none=True)
        if self.model_cfg.stn:
            loss, parallel = stn_losses(self.model, x, t, w, self.loss)
            backward_with_parallel(self.model, loss, parallel, self.settings.parallel_sppe)
            self.last_parts = {"parallel_loss": parallel.item()}
        elif self.reid is None:
            loss = self.loss(self.model(x), t, w)
            self.last_parts = {}
            loss.backward()
        else:
            loss, lp, li = self.reid.loss(self.model, x, self.batch_identities(self.step),
                                          lambda out: self.loss(out, t, w))
            self.last_parts = {"pose_loss": lp, "id_loss": li}
            loss.backward()
        self.optimizer.step()
        self.step += 1
        return loss.item()

    # --- checkpoints
    def save(self) -> Path:
        """checkpoint.pth (to resume) and model_<step>.pth (a plain state_dict the loader reads)."""
        weights = self.model.state_dict()
        state = {"model": weights, "optimizer": self.optimizer.state_dict(), "step": self.step}
        files = [(CHECKPOINT, state), (f"model_{self.step}.pth", weights)]
        if self.reid is not None:
            state["reid"] = self.reid.state_dict()
            files.append((f"reid_{self.step}.pth", self.reid.inference_state(self.model)))
        for name, obj in files:
            tmp = self.out / (name + ".tmp")
            torch.save(obj, tmp)
            tmp.replace(self.out / name)
        return self.out / f"model_{self.step}.pth"

    def resume(self) -> bool:
        path = self.out / CHECKPOINT
        if not path.exists():
            return False
        state = torch.load(path, map_location="cpu", weights_only=True)
        self.model.load_state_dict(state["model"])
        if self.reid is not None:
            if "reid" not in state:
                raise ValueError(f"{path} was written without the REID section this config has")
            self.reid.load_state_dict(state["reid"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.step = int(state["step"])
        return True

    # --- evaluation
    def evaluate(self, limit: int = 0) -> dict[str, float]:
        """COCO keypoint AP of the current weights on the validation set (jittered true boxes)."""
        from alphapose_ros.core.training.evaluate_pose import evaluate_model

        if self.val is None:
            return {}
        return evaluate_model(copy.deepcopy(self.model), self.model_cfg, self.val, limit=limit)

    def run(self, until: int | None = None, progress: bool = True) -> list[dict]:
        """Train to `until` (default: TRAIN.STEPS), logging to log.jsonl; returns the log lines."""
        from alphapose_ros.core.io.progress import Progress

        until = self.settings.steps if until is None else min(until, self.settings.steps)
        bar = Progress(until, "steps", enabled=None if progress else False)
        bar.update(self.step)
        lines, t0, acc, parts = [], time.perf_counter(), [], []
        with open(self.out / "log.jsonl", "a") as log:
            while self.step < until:
                acc.append(self.train_step())
                parts.append(self.last_parts)
                bar.update()
                s = self.settings
                entry = None
                if self.step % s.log_every == 0 or self.step == until:
                    entry = {"step": self.step, "loss": float(np.mean(acc)), "lr": s.lr_at(self.step - 1),
                             "seconds": round(time.perf_counter() - t0, 1),
                             **{k: float(np.mean([p[k] for p in parts])) for k in parts[-1]}}
                    acc, parts = [], []
                if self.step % s.save_every == 0 or self.step == until:
                    self.save()
                if self.val is not None and (self.step % s.eval_every == 0 or self.step == until):
                    entry = {**(entry or {"step": self.step}), **{f"val_{k}": v for k, v in self.evaluate().items()}}
                if entry:
                    log.write(json.dumps(entry) + "\n")
                    log.flush()
                    lines.append(entry)
        bar.close()
        return lines
