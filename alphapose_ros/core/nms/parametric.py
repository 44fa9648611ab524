"""Parametric pose NMS (paper section 3.4) and OKS NMS.

Greedy: take the remaining pose with the highest mean keypoint score; every remaining
pose that is too similar to it (pose similarity > gamma, or at least matchThreds
keypoints within a PCK radius) joins its cluster and leaves the pool. Each cluster is
then merged into one pose (score-weighted mean of the members' keypoints near the
pick) and kept if confident enough. Similarity = soft keypoint matching (tanh of both
scores, for keypoints within 1 px) + mu * spatial term (exp(-d / delta2)), as AlphaPose's code computes
it; `formula="paper"` takes eqs. 17-18 instead (a match box 1/10 of the person's box, squared distance).

Parameters are passed explicitly (never module globals); defaults are AlphaPose's
values per keypoint layout and head type. Each greedy step compares the pick with
all remaining candidates and keypoints in one array operation; the only Python loop
is over picked people.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

FORMULAS = ("alphapose", "paper")  # the similarity of AlphaPose's code (default), or of the paper's eqs. 17-18

@dataclass(frozen=True)
class PoseNMSParams:
    """Parameters of parametric pose NMS (names as in the paper / AlphaPose)."""

    delta1: float = 1.0        # score softness of the keypoint-matching term (sigma_1)
    mu: float = 1.7            # weight of the spatial term (lambda)
    delta2: float = 2.65       # spatial scale (sigma_2)
    gamma: float = 22.48       # similarity threshold (eta)
    score_thresh: float = 0.3  # drop a merged pose whose best keypoint is below this
    match_thresh: float = 5.0  # drop a candidate with at least this many PCK-matched keypoints
    alpha: float = 0.1         # PCK reference distance = alpha * max(box w, h)
    area_thresh: float = 0.0   # drop merged poses whose 1.5x-enlarged keypoint extent area is smaller
    # whole-body (133/136 keypoints) extras
    whole_body: bool = False
    face_factor: float = 1.9
    hand_factor: float = 0.55
    face_weight_score: float = 1.0
    hand_weight_score: float = 0.1
    face_weight_dist: float = 1.0
    hand_weight_dist: float = 1.5
    pck_radius: float = 7.0    # cap of the PCK reference distance
    merge_radius: float = 15.0  # cap of the merge radius
    # similarity: "alphapose" = AlphaPose's code (joints within 1 px match; spatial term exp(-d / delta2));
    # "paper" = eqs. 17-18 (a candidate's joint matches within a box 1/10 of the candidate's own box, B_i;
    # exp(-d^2 / delta2)): for_layout squares delta2 for it (1/e at the same distance); fit it with
    # alphapose-nms-search
    formula: str = "alphapose"
    # whole body: AlphaPose divides the PCK match count by the number of candidates still in the pool, so
    # the same pair is judged differently as the pool shrinks; True divides as for a single candidate
    fixed_match_norm: bool = False

    @classmethod
    def for_layout(cls, num_keypoints: int, heatmap_head: bool = True, **overrides) -> "PoseNMSParams":
        """AlphaPose's defaults: body values, or the whole-body regression values for
        133/136 keypoints from integral/combined heads (FACTS.md section 6)."""
        p = cls(whole_body=num_keypoints in (133, 136))
        if p.whole_body and not heatmap_head:
            p = replace(p, delta1=1.0, mu=1.65, delta2=8.0, gamma=3.6, score_thresh=0.01, match_thresh=3.0,
                        alpha=0.15)
        p = replace(p, **overrides)
        if p.formula == "paper" and "delta2" not in overrides:  # exp(-d^2/delta2^2) is 1/e where exp(-d/delta2) is
            p = replace(p, delta2=p.delta2 ** 2)
        return p


@dataclass
class PoseNMSResult:
    """Kept poses, in pick order. `picks` index the input; `merged` lists the input
    indices folded into each kept pose; `proposal_scores` = mean + box score + 1.25 max."""

    picks: np.ndarray
    keypoints: np.ndarray
    keypoint_scores: np.ndarray
    proposal_scores: np.ndarray
    merged: list[np.ndarray] = field(default_factory=list)


class _Similarity:
    """What the greedy loop compares a pick with, precomputed once per call: the tanh of every keypoint
    score, the per-keypoint spatial scales and part weights (whole body), the PCK radius factors."""

    def __init__(self, ks: np.ndarray, p: PoseNMSParams):
        if p.formula not in FORMULAS:
            raise ValueError(f"unknown pose NMS formula {p.formula!r} (one of {', '.join(FORMULAS)})")
        self.p = p
        self.tanh = np.tanh(ks / p.delta1)  # (N,K)
        k = ks.shape[1]
        if p.whole_body:
            body, face, hand = _parts(k)
            self.low = ks < p.score_thresh  # AlphaPose's whole-body rule: see similarity()
            self.scale = np.full(k, p.delta2)
            self.scale[face] *= p.face_factor
            self.scale[hand] *= p.hand_factor
            # each part's mean, weighted: one dot product instead of six slices
            self.w_score, self.w_dist = np.zeros(k), np.zeros(k)
            for part, ws, wd in ((body, 1.0, 1.0), (face, p.face_weight_score, p.face_weight_dist),
                                 (hand, p.hand_weight_score, p.hand_weight_dist)):
                n = part.stop - part.start
                self.w_score[part], self.w_dist[part] = ws / n, p.mu * wd / n
            # fixed Halpe-136 slices for the PCK radius, as AlphaPose uses them (off by 3 for 133 keypoints)
            self.radius = np.ones(k)
            self.radius[26:94], self.radius[94:] = p.face_factor, p.hand_factor

    def similarity(self, d: np.ndarray, pick: int, rows: np.ndarray, diff: np.ndarray | None = None,
                   boxes: np.ndarray | None = None) -> np.ndarray:
        """(M,) similarity of the pick to the candidates `rows`, from their keypoint distances d (M,K) (the
        paper's formula also needs the offsets diff (M,K,2) and the candidates' boxes (M,4))."""
        p, t = self.p, self.tanh[pick] * self.tanh[rows]
        if p.formula == "paper":  # eqs. 17-18, the same for every keypoint of any format
            # B(k_i^n): a box 1/10 of the candidate's own box B_i, centred on its joint
            half = (boxes[:, 2:] - boxes[:, :2])[:, None, :] / 20.0
            return paper_similarity(diff, half, t, p.mu, p.delta2)
        if not p.whole_body:
            return (t * (d <= 1.0)).sum(1) + p.mu * np.exp(-d / p.delta2).sum(1)
        # as AlphaPose computes it: the matching term counts joints within 1 px whose
        # score is BELOW score_thresh, and the spatial term ignores joints below it
        low = self.low[rows]
        score = t * ((d <= 1.0) & low)
        spatial = np.exp(-d / self.scale) * ~low
        return score @ self.w_score + spatial @ self.w_dist

    def matches(self, d: np.ndarray, ref: float, s_pick: np.ndarray) -> np.ndarray:
        """(M,) PCK-matched keypoint counts (normalised for the whole body) against the pick."""
        p = self.p
        ref = min(ref, p.pck_radius)
        if not p.whole_body:
            return (d / ref <= 1).sum(1).astype(np.float64)
        n = (d / (ref * self.radius) <= 1).sum(1).astype(np.float64)
        valid = int((s_pick > p.score_thresh / 2).sum())
        if valid == 0:
            return np.zeros(len(d))
        pool = 1 if p.fixed_match_norm else len(d)
        return n / (valid * 2 * pool * 2 / d.shape[1])


def paper_similarity(diff: np.ndarray, half: np.ndarray, t: np.ndarray, mu: float, delta2: float) -> np.ndarray:
    """Eq. 19 = eq. 17 + mu x eq. 18 between poses whose keypoint offsets are diff (...,K,2): the soft count
    of keypoints inside the +-half match box (t (...,K) the product of both scores' tanh) plus the sum of
    exp(-squared offset / delta2). Pose NMS and MSIM's pose distance both use it."""
    inside = (np.abs(diff) <= half).all(-1)
    return (t * inside).sum(-1) + mu * np.exp(-(diff ** 2).sum(-1) / delta2).sum(-1)


def _parts(k: int) -> tuple[slice, slice, slice]:
    return slice(0, k - 110), slice(k - 110, k - 42), slice(k - 42, k)


def parametric_pose_nms(boxes: np.ndarray, box_scores: np.ndarray, keypoints: np.ndarray,
                        keypoint_scores: np.ndarray, params: PoseNMSParams) -> PoseNMSResult:
    """Remove redundant poses. boxes (N,4) xyxy, box_scores (N,), keypoints (N,K,2), scores (N,K)."""
    kp = np.asarray(keypoints, np.float64)
    n, k = kp.shape[:2]
    ks = np.asarray(keypoint_scores, np.float64).reshape(n, k).copy()
    ks[ks == 0] = 1e-5
    lost = ~np.isfinite(kp).all(-1)  # a non-finite keypoint (a bad message) counts as unseen, not as NaN
    if lost.any():
        kp = np.where(lost[..., None], 0.0, kp)
        ks[lost] = 1e-5
    bs = np.asarray(box_scores, np.float64).reshape(n)
    b = np.asarray(boxes, np.float64).reshape(n, 4)
    if n == 0:
        return PoseNMSResult(np.zeros(0, int), np.zeros((0, k, 2), np.float32), np.zeros((0, k), np.float32),
                             np.zeros(0, np.float32), [])
    person = ks.mean(1)
    ref = params.alpha * np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])
    compare = _Similarity(ks, params)
    remaining = np.arange(n)
    clusters: list[tuple[int, np.ndarray]] = []
    while len(remaining):
        pick = remaining[np.argmax(person[remaining])]
        diff = kp[remaining] - kp[pick]  # the pick against every remaining candidate at once
        d = np.sqrt(diff[..., 0] ** 2 + diff[..., 1] ** 2)
        sim = compare.similarity(d, pick, remaining, diff, b[remaining])
        matches = compare.matches(d, ref[pick], ks[pick])
        gone = (sim > params.gamma) | (matches >= params.match_thresh)
        gone |= remaining == pick
        clusters.append((int(pick), remaining[gone]))
        remaining = remaining[~gone]

    picks, out_kp, out_ks, out_prop, merged = [], [], [], [], []
    for pick, members in clusters:
        if ks[pick].max() < params.score_thresh:
            continue
        r = min(ref[pick], params.merge_radius)
        diff = kp[members] - kp[pick]
        near = np.sqrt(diff[..., 0] ** 2 + diff[..., 1] ** 2) <= r  # (m,K)
        w = ks[members] * near
        total = w.sum(0)
        # a keypoint with no member's point near the pick's has no weighted mean: the pick's own point,
        # scored 0, instead of 0/0
        wn = np.divide(w, total, out=np.zeros_like(w), where=total > 0)
        pose = np.where((total > 0)[:, None], (kp[members] * wn[..., None]).sum(0), kp[pick])
        score = (w * wn).sum(0)
        if score.max() < params.score_thresh:
            continue
        ext = pose.max(0) - pose.min(0)
        if 1.5 ** 2 * ext[0] * ext[1] < params.area_thresh:
            continue
        picks.append(pick)
        out_kp.append(pose)
        out_ks.append(score)
        out_prop.append(score.mean() + bs[pick] + 1.25 * score.max())
        merged.append(members)
    if not picks:
        return PoseNMSResult(np.zeros(0, int), np.zeros((0, k, 2), np.float32), np.zeros((0, k), np.float32),
                             np.zeros(0, np.float32), [])
    return PoseNMSResult(np.array(picks), np.array(out_kp, np.float32), np.array(out_ks, np.float32),
                         np.array(out_prop, np.float32), merged)
