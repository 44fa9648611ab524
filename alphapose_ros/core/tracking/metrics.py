"""Multi-object tracking metrics: CLEAR MOT (MOTA, ID switches) and IDF1, by IoU >= 0.5.

Written from the definitions (Bernardin & Stiefelhagen 2008 for CLEAR MOT; Ristani et al.
2016 for IDF1): per frame, ground truth and hypotheses are matched keeping last frame's
pairs where they still overlap, then by the Hungarian method; IDF1 matches whole trajectories
once, maximising the frames they share.
"""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from alphapose_ros.core.tracking.matching import iou_matrix


@dataclass
class MotAccumulator:
    """Feed `update` once per frame; read `summary()`."""

    iou_thresh: float = 0.5
    gt_total: int = 0
    hyp_total: int = 0
    misses: int = 0
    false_positives: int = 0
    id_switches: int = 0
    matches: int = 0
    _last_match: dict = field(default_factory=dict)          # gt id -> hyp id it last matched
    _pairs: dict = field(default_factory=lambda: defaultdict(int))   # (gt, hyp) -> frames matched by IoU
    _gt_len: dict = field(default_factory=lambda: defaultdict(int))
    _hyp_len: dict = field(default_factory=lambda: defaultdict(int))

    def update(self, gt_ids, gt_boxes, hyp_ids, hyp_boxes) -> None:
        gt_ids, hyp_ids = list(map(int, gt_ids)), list(map(int, hyp_ids))
        iou = iou_matrix(gt_boxes, hyp_boxes, plus_one=False)
        ok = iou >= self.iou_thresh
        for g in gt_ids:
            self._gt_len[g] += 1
        for h in hyp_ids:
            self._hyp_len[h] += 1
        for i, j in zip(*np.nonzero(ok)):  # IDF1 counts every overlapping (gt, hyp) frame
            self._pairs[(gt_ids[i], hyp_ids[j])] += 1
        matched: dict[int, int] = {}
        # keep last frame's correspondences that still hold
        for i, g in enumerate(gt_ids):
            h = self._last_match.get(g)
            if h in hyp_ids and ok[i, hyp_ids.index(h)] and hyp_ids.index(h) not in matched.values():
                matched[i] = hyp_ids.index(h)
        free_g = [i for i in range(len(gt_ids)) if i not in matched]
        free_h = [j for j in range(len(hyp_ids)) if j not in matched.values()]
        if free_g and free_h:
            cost = np.where(ok[np.ix_(free_g, free_h)], 1.0 - iou[np.ix_(free_g, free_h)], 1e6)
            for r, c in zip(*linear_sum_assignment(cost)):
                if cost[r, c] < 1e6:
                    matched[free_g[r]] = free_h[c]
        for i, j in matched.items():
            g, h = gt_ids[i], hyp_ids[j]
            if g in self._last_match and self._last_match[g] != h:
                self.id_switches += 1
            self._last_match[g] = h
        self.gt_total += len(gt_ids)
        self.hyp_total += len(hyp_ids)
        self.matches += len(matched)
        self.misses += len(gt_ids) - len(matched)
        self.false_positives += len(hyp_ids) - len(matched)

    def idf1(self) -> float:
        """2 IDTP / (GT + hypothesis detections), trajectories matched one to one."""
        if not self.gt_total and not self.hyp_total:
            return 1.0
        gts, hyps = sorted(self._gt_len), sorted(self._hyp_len)
        if not gts or not hyps:
            return 0.0
        shared = np.zeros((len(gts), len(hyps)))
        gi, hi = {g: k for k, g in enumerate(gts)}, {h: k for k, h in enumerate(hyps)}
        for (g, h), n in self._pairs.items():
            shared[gi[g], hi[h]] = n
        r, c = linear_sum_assignment(-shared)
        return 2.0 * shared[r, c].sum() / (self.gt_total + self.hyp_total)

    def summary(self) -> dict:
        mota = 1.0 - (self.misses + self.false_positives + self.id_switches) / max(self.gt_total, 1)
        return {"mota": mota, "idf1": self.idf1(), "id_switches": self.id_switches, "misses": self.misses,
                "false_positives": self.false_positives, "gt": self.gt_total, "ids": len(self._hyp_len)}


def score_tracker(tracker, frames, use_embeddings: bool = True, draw=None) -> tuple[dict, float]:
    """Run a tracker (the trackers' interface) over synthetic frames (synthetic.tracking_scenes), with
    the image `draw(frame)` renders when given (outside the timing); returns the metrics summary and the mean tracker
    time per frame in ms. Hypotheses are the detection boxes the tracker labels, as the
    tracking node publishes them."""
    acc, spent = MotAccumulator(), 0.0
    for f in frames:
        image = None if draw is None else draw(f)
        t = time.perf_counter()
        out = tracker.update(f.t, f.boxes, f.embeddings if use_embeddings else None, f.keypoints, f.kp_scores,
                             image=image)
        spent += time.perf_counter() - t
        m = out.det_index >= 0
        acc.update(f.gt_ids, f.gt_boxes, out.track_ids[m], f.boxes[out.det_index[m]])
    return acc.summary(), spent / max(len(frames), 1) * 1e3


def mean_summary(summaries: list[dict]) -> dict:
    """Several scenes' score_tracker summaries as one: MOTA and IDF1 averaged, ID switches summed."""
    return {"mota": float(np.mean([r["mota"] for r in summaries])),
            "idf1": float(np.mean([r["idf1"] for r in summaries])),
            "id_switches": int(sum(r["id_switches"] for r in summaries))}
