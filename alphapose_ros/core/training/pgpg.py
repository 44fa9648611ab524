"""Part-guided proposal generator (paper section 3.3): training boxes are jittered the way a
detector's boxes differ from the ground truth, with a different offset distribution for
each kind of partly visible person (whole body, upper body only, lower body only, head
only), so the pose network learns from the boxes it will really be given.

Offsets are the box corners' displacements divided by the ground-truth box's width/height.
Each part's distribution is a Gaussian fitted to (detected, true) box pairs, or the uniform
approximation the paper allows when no detections are at hand.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

PARTS = ("whole", "upper", "lower", "head")
UPPER, LOWER, HEAD = list(range(5, 11)), list(range(11, 17)), list(range(0, 5))  # COCO body indices


def part_of(visible: np.ndarray) -> str:
    """The part class of a person from its (K>=17,) visibility: which body regions are labelled."""
    v = np.asarray(visible) > 0
    up, low, head = v[UPPER].sum() >= 2, v[LOWER].sum() >= 2, v[HEAD].any()
    if up and low:
        return "whole"
    if up:
        return "upper"
    if low:
        return "lower"
    return "head" if head else "whole"


def offsets(det: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(N,4) corner offsets of detected boxes from true boxes, in units of the true box size."""
    wh = np.maximum(gt[:, 2:] - gt[:, :2], 1e-6)
    return (det - gt) / np.concatenate([wh, wh], 1)


@dataclass
class ProposalModel:
    """Per-part offset distribution: Gaussian (mean, cov) or uniform (+-half_range)."""

    kind: str = "uniform"
    mean: dict = field(default_factory=dict)        # part -> (4,)
    cov: dict = field(default_factory=dict)         # part -> (4,4)
    half_range: dict = field(default_factory=lambda: {p: np.array([0.1, 0.1, 0.1, 0.1]) for p in PARTS})

    @classmethod
    def fit(cls, det: np.ndarray, gt: np.ndarray, parts: list[str], min_pairs: int = 8) -> "ProposalModel":
        """Fit each part's Gaussian to matched (detected, true) boxes; parts with fewer than
        `min_pairs` pairs borrow the pooled fit."""
        off = offsets(np.asarray(det, np.float64), np.asarray(gt, np.float64))
        parts_a = np.asarray(parts)
        pooled_m, pooled_c = off.mean(0), np.cov(off.T) + 1e-6 * np.eye(4)
        m = cls(kind="gaussian")
        for p in PARTS:
            sel = off[parts_a == p]
            if len(sel) >= min_pairs:
                m.mean[p], m.cov[p] = sel.mean(0), np.cov(sel.T) + 1e-6 * np.eye(4)
            else:
                m.mean[p], m.cov[p] = pooled_m, pooled_c
        return m

    def sample(self, gt_box: np.ndarray, part: str, rng: np.random.Generator) -> np.ndarray:
        """A proposal box (4,) for a true box (4,) of a person of the given part class."""
        if self.kind == "gaussian":
            o = rng.multivariate_normal(self.mean[part], self.cov[part])
        else:
            o = rng.uniform(-1.0, 1.0, 4) * self.half_range[part]
        wh = gt_box[2:] - gt_box[:2]
        box = gt_box + o * np.concatenate([wh, wh])
        # keep a valid box: at least a quarter of the true size each way
        box[2] = max(box[2], box[0] + 0.25 * wh[0])
        box[3] = max(box[3], box[1] + 0.25 * wh[1])
        return box.astype(np.float32)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "mean": {k: v.tolist() for k, v in self.mean.items()},
                "cov": {k: v.tolist() for k, v in self.cov.items()},
                "half_range": {k: np.asarray(v).tolist() for k, v in self.half_range.items()}}

    @classmethod
    def from_dict(cls, d: dict) -> "ProposalModel":
        if d.get("kind") not in ("uniform", "gaussian"):
            raise ValueError(f"PGPG model kind {d.get('kind')!r}: expected uniform or gaussian")
        return cls(d["kind"], {k: np.array(v) for k, v in d.get("mean", {}).items()},
                   {k: np.array(v) for k, v in d.get("cov", {}).items()},
                   {k: np.array(v) for k, v in d.get("half_range", {}).items()} or cls().half_range)
