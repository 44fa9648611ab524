"""Part-guided proposal generator (paper section 3.3): training boxes are jittered the way a
detector's boxes differ from the ground truth, with a different offset distribution for
each kind of partly visible person (whole body, upper body only, lower body only, head
only, face only, a hand only), so the pose network learns from the boxes it will really be given.

Offsets are the box corners' displacements divided by the ground-truth box's width/height. For
a person, the true box is the person's; for a face-only or hand-only person (a part-only dataset),
it is the tight box of that part's keypoints, and its distribution is that of the whole person's
detected box around that part (the paper's figure 3), so a face crop is widened into what a
detector would have given for the person.
Each part's distribution is a Gaussian mixture fitted to (detected, true) box pairs by EM
(`alphapose-fit-proposals` fits one and writes it as YAML), or the uniform approximation the
paper allows when no detections are at hand. RMPE's variant conditions the offsets on the pose
instead: the people's torso-aligned poses are clustered by k-means into atomic poses, and each
atomic pose gets its own distribution.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from alphapose_ros.core.skeletons import KeypointFormat

PARTS = ("whole", "upper", "lower", "head", "face", "hand")
UPPER, LOWER, HEAD = list(range(5, 11)), list(range(11, 17)), list(range(0, 5))  # COCO body indices
_TORSO = [5, 6, 11, 12]


def part_of(visible: np.ndarray, fmt: KeypointFormat | None = None) -> str:
    """The part class of a person from its (K>=17,) visibility: which body regions are labelled. With a
    whole-body `fmt`, a person labelled on the face only (or a hand only) is "face" ("hand")."""
    v = np.asarray(visible) > 0
    up, low, head = v[UPPER].sum() >= 2, v[LOWER].sum() >= 2, v[HEAD].any()
    if up and low:
        return "whole"
    if up:
        return "upper"
    if low:
        return "lower"
    if fmt is not None and not head:
        ranges = {name: slice(s, e) for name, s, e in fmt.parts}
        if "face" in ranges and v[ranges["face"]].sum() >= 5:
            return "face"
        if any(h in ranges and v[ranges[h]].sum() >= 5 for h in ("left_hand", "right_hand")):
            return "hand"
    return "head" if head else "whole"


def part_box(keypoints: np.ndarray, fmt: KeypointFormat, part: str) -> np.ndarray | None:
    """The tight box (4,) of a person's labelled face ("face") or hand ("hand": the hand with more labelled
    keypoints) keypoints (K,3), or None with fewer than 5 of them."""
    ranges = {name: slice(s, e) for name, s, e in fmt.parts}
    names = ["face"] if part == "face" else ["left_hand", "right_hand"]
    best = None
    for n in names:
        if n in ranges:
            k = np.asarray(keypoints)[ranges[n]]
            k = k[k[:, 2] > 0]
            if len(k) >= 5 and (best is None or len(k) > len(best)):
                best = k
    if best is None:
        return None
    return np.array([*best[:, :2].min(0), *best[:, :2].max(0)], np.float32)


def offsets(det: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(N,4) corner offsets of detected boxes from true boxes, in units of the true box size."""
    wh = np.maximum(gt[:, 2:] - gt[:, :2], 1e-6)
    return (det - gt) / np.concatenate([wh, wh], 1)


def _log_gauss(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """(N,) log density of x (N,D) under N(mean, cov)."""
    d = x.shape[1]
    chol = np.linalg.cholesky(cov)
    z = np.linalg.solve(chol, (x - mean).T)
    return -0.5 * (z * z).sum(0) - np.log(np.diag(chol)).sum() - 0.5 * d * np.log(2 * np.pi)


def fit_mixture(x: np.ndarray, k: int, rng: np.random.Generator, iters: int = 100, reg: float = 1e-5
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A k-component Gaussian mixture (weights (k,), means (k,D), covs (k,D,D)) fitted to x (N,D) by EM,
    started from k points drawn at random; k is reduced so every component has 10 points to start."""
    x = np.asarray(x, np.float64)
    n, d = x.shape
    k = max(1, min(k, n // 10))
    means = x[rng.choice(n, k, replace=False)] if k > 1 else x.mean(0, keepdims=True)
    covs = np.repeat((np.cov(x.T) + reg * np.eye(d))[None], k, 0)
    w = np.full(k, 1.0 / k)
    prev = -np.inf
    for _ in range(iters):
        logp = np.stack([np.log(w[j]) + _log_gauss(x, means[j], covs[j]) for j in range(k)], 1)
        top = logp.max(1, keepdims=True)
        ll = float((top[:, 0] + np.log(np.exp(logp - top).sum(1))).sum())
        r = np.exp(logp - top)
        r /= r.sum(1, keepdims=True)
        nk = r.sum(0) + 1e-12
        w = nk / n
        means = (r.T @ x) / nk[:, None]
        for j in range(k):
            c = x - means[j]
            covs[j] = (r[:, j, None] * c).T @ c / nk[j] + reg * np.eye(d)
        if ll - prev < 1e-6 * abs(ll):
            break
        prev = ll
    return w, means, covs


def pose_features(keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Torso-aligned body poses for atomic-pose clustering: (N,34) coordinates of the 17 COCO body keypoints
    relative to the torso centre in torso lengths, and the (N,34) mask of labelled ones."""
    k = np.asarray(keypoints, np.float64)[:, :17]
    vis = k[..., 2] > 0
    xy = k[..., :2]
    torso = vis[:, _TORSO]
    centre = np.where(torso.any(1)[:, None], (xy[:, _TORSO] * torso[..., None]).sum(1)
                      / np.maximum(torso.sum(1), 1)[:, None], (xy * vis[..., None]).sum(1)
                      / np.maximum(vis.sum(1), 1)[:, None])
    sh = (xy[:, 5] + xy[:, 6]) / 2
    hip = (xy[:, 11] + xy[:, 12]) / 2
    full = vis[:, _TORSO].all(1)
    span = np.where(full, np.linalg.norm(sh - hip, axis=1), 0.0)
    # without a full torso: a third of the labelled keypoints' height
    ys = np.where(vis, xy[..., 1], np.nan)
    with np.errstate(invalid="ignore"):
        ext = np.where(vis.sum(1) >= 2, (np.nanmax(np.where(vis, ys, -np.inf), 1)
                                         - np.nanmin(np.where(vis, ys, np.inf), 1)) / 3, 1.0)
    scale = np.maximum(np.where(span > 0, span, ext), 1e-3)
    f = (xy - centre[:, None]) / scale[:, None, None]
    mask = np.repeat(vis, 2, axis=1)
    return np.where(mask, f.reshape(len(f), -1), 0.0), mask


def atomic_poses(features: np.ndarray, mask: np.ndarray, k: int, rng: np.random.Generator, iters: int = 50
                 ) -> np.ndarray:
    """(k,34) atomic poses: k-means over torso-aligned poses, distances over labelled coordinates only."""
    n = len(features)
    k = max(1, min(k, n))
    centres = features[rng.choice(n, k, replace=False)].copy()
    for _ in range(iters):
        lab = nearest_atom(features, mask, centres)
        new = centres.copy()
        for j in range(k):
            m = mask[lab == j]
            if m.any():
                new[j] = np.where(m.any(0), (features[lab == j] * m).sum(0) / np.maximum(m.sum(0), 1), centres[j])
        if np.allclose(new, centres):
            break
        centres = new
    return centres


def nearest_atom(features: np.ndarray, mask: np.ndarray, atoms: np.ndarray) -> np.ndarray:
    """(N,) index of each pose's nearest atomic pose (mean squared distance over its labelled coordinates)."""
    d = ((features[:, None] - atoms[None]) ** 2 * mask[:, None]).sum(2) / np.maximum(mask.sum(1), 1)[:, None]
    return d.argmin(1)


@dataclass
class ProposalModel:
    """Per-part (or, with atoms, per-atomic-pose) offset distributions: Gaussian mixtures (weights,
    means, covs per key) or uniform (+-half_range per part)."""

    kind: str = "uniform"                           # uniform | mixture
    weights: dict = field(default_factory=dict)    # key -> (k,)
    means: dict = field(default_factory=dict)      # key -> (k,4)
    covs: dict = field(default_factory=dict)       # key -> (k,4,4)
    half_range: dict = field(default_factory=lambda: {p: np.array([0.1, 0.1, 0.1, 0.1]) for p in PARTS})
    atoms: np.ndarray | None = None                # (A,34) atomic poses (RMPE), keys "atom<i>"

    @classmethod
    def fit(cls, det: np.ndarray, gt: np.ndarray, parts: list[str], components: int = 3, min_pairs: int = 8,
            keypoints: np.ndarray | None = None, atoms: int = 0, seed: int = 0,
            part_offsets: dict | None = None) -> "ProposalModel":
        """Fit each part's mixture to matched (detected, true) boxes; parts with fewer than `min_pairs` pairs
        borrow the pooled fit. "face" and "hand" are fitted to `part_offsets[part]`, the detected person
        boxes' offsets from the tight part boxes, where given. With atoms > 0 and the people's (N,K,3)
        keypoints, fit one mixture per atomic pose instead (RMPE)."""
        rng = np.random.default_rng(seed)
        off = offsets(np.asarray(det, np.float64), np.asarray(gt, np.float64))
        m = cls(kind="mixture")
        pooled = fit_mixture(off, components, rng)
        if atoms:
            if keypoints is None:
                raise ValueError("atomic poses need the people's keypoints")
            feats, mask = pose_features(keypoints)
            m.atoms = atomic_poses(feats, mask, atoms, rng)
            groups = nearest_atom(feats, mask, m.atoms)
            keys = [(f"atom{j}", groups == j) for j in range(len(m.atoms))]
        else:
            keys = [(p, np.asarray(parts) == p) for p in PARTS]
        for key, sel in keys:
            x = off[sel]
            if key in ("face", "hand") and part_offsets is not None:
                x = np.asarray(part_offsets.get(key, np.zeros((0, 4))), np.float64).reshape(-1, 4)
            fit = fit_mixture(x, components, rng) if len(x) >= min_pairs else pooled
            m.weights[key], m.means[key], m.covs[key] = fit
        return m

    def _key(self, part: str, keypoints: np.ndarray | None) -> str:
        if self.atoms is None:
            return part
        if keypoints is None:
            raise ValueError("this proposal model is conditioned on atomic poses: pass the keypoints")
        f, mask = pose_features(np.asarray(keypoints)[None])
        return f"atom{int(nearest_atom(f, mask, self.atoms)[0])}"

    def sample(self, gt_box: np.ndarray, part: str, rng: np.random.Generator,
               keypoints: np.ndarray | None = None) -> np.ndarray:
        """A proposal box (4,) for a true box (4,) of a person of the given part class (and, for an
        atomic-pose model, with these (K,3) keypoints)."""
        if self.kind == "mixture":
            key = self._key(part, keypoints)
            j = rng.choice(len(self.weights[key]), p=self.weights[key] / self.weights[key].sum())
            o = rng.multivariate_normal(self.means[key][j], self.covs[key][j])
        else:
            o = rng.uniform(-1.0, 1.0, 4) * self.half_range[part]
        wh = gt_box[2:] - gt_box[:2]
        box = gt_box + o * np.concatenate([wh, wh])
        # keep a valid box: at least a quarter of the true size each way
        box[2] = max(box[2], box[0] + 0.25 * wh[0])
        box[3] = max(box[3], box[1] + 0.25 * wh[1])
        return box.astype(np.float32)

    def to_dict(self) -> dict:
        d = {"kind": self.kind, "weights": {k: v.tolist() for k, v in self.weights.items()},
             "means": {k: v.tolist() for k, v in self.means.items()},
             "covs": {k: v.tolist() for k, v in self.covs.items()},
             "half_range": {k: np.asarray(v).tolist() for k, v in self.half_range.items()}}
        if self.atoms is not None:
            d["atoms"] = self.atoms.tolist()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ProposalModel":
        kind = d.get("kind")
        if kind not in ("uniform", "mixture"):
            raise ValueError(f"PGPG model kind {kind!r}: expected uniform or mixture")
        m = cls(kind, {k: np.array(v) for k, v in d.get("weights", {}).items()},
                {k: np.array(v) for k, v in d.get("means", {}).items()},
                {k: np.array(v) for k, v in d.get("covs", {}).items()},
                {k: np.array(v) for k, v in d.get("half_range", {}).items()} or cls().half_range,
                np.array(d["atoms"]) if d.get("atoms") is not None else None)
        if kind == "mixture":
            needed = [f"atom{j}" for j in range(len(m.atoms))] if m.atoms is not None else list(PARTS)
            missing = [k for k in needed if k not in m.weights or k not in m.means or k not in m.covs]
            if missing:
                raise ValueError(f"PGPG mixture model lacks the distributions of {', '.join(missing)}")
        return m
