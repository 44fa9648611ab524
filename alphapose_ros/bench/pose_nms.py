"""Benchmark: parametric pose NMS, vectorised vs a straightforward per-pair loop.

Prints ms per frame for 5, 20 and 100 candidates at 17 and 136 keypoints, both
implementations measured in the same run on the same inputs (and checked to agree).
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np

from alphapose_ros.core.nms.parametric import PoseNMSParams, parametric_pose_nms
from alphapose_ros.synthetic.pose_candidates import random_candidates


def loop_pose_nms(boxes, box_scores, keypoints, keypoint_scores, p: PoseNMSParams) -> list[int]:
    """Body-rule pose NMS written pair by pair and keypoint by keypoint (the baseline)."""
    n, k = len(keypoints), len(keypoints[0])
    ks = [[max(float(v), 1e-5) if v != 0 else 1e-5 for v in row] for row in keypoint_scores]
    person = [sum(r) / k for r in ks]
    ref = [p.alpha * max(b[2] - b[0], b[3] - b[1]) for b in boxes]
    remaining = list(range(n))
    picks = []
    while remaining:
        pick = max(remaining, key=lambda i: (person[i], -i))
        gone = []
        for j in remaining:
            sim, match = 0.0, 0
            for t in range(k):
                d = math.dist(keypoints[pick][t], keypoints[j][t])
                if d <= 1:
                    sim += math.tanh(ks[pick][t] / p.delta1) * math.tanh(ks[j][t] / p.delta1)
                sim += p.mu * math.exp(-d / p.delta2)
                match += d / min(ref[pick], p.pck_radius) <= 1
            if sim > p.gamma or match >= p.match_thresh or j == pick:
                gone.append(j)
        picks.append(pick)
        remaining = [j for j in remaining if j not in gone]
    return picks


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args(argv)
    print(f"{'cands':>5} {'K':>4} {'vectorised ms':>14} {'loop ms':>10} {'speed-up':>9}")
    for k in (17, 136):
        for n in (5, 20, 100):
            boxes, bs, kp, ks = random_candidates(n, k)
            p = PoseNMSParams.for_layout(17)  # the body rule for both, so the loop is the same rule
            fast = min(_time(lambda: parametric_pose_nms(boxes, bs, kp, ks, p)) for _ in range(a.repeat))
            slow = min(_time(lambda: loop_pose_nms(boxes.tolist(), bs, kp.tolist(), ks.tolist(), p))
                       for _ in range(max(1, a.repeat // 2)))
            # the loop stops at clustering; the merge step may then drop some of its picks
            picks = set(parametric_pose_nms(boxes, bs, kp, ks, p).picks.tolist())
            agree = picks <= set(loop_pose_nms(boxes.tolist(), bs, kp.tolist(), ks.tolist(), p))
            print(f"{n:>5} {k:>4} {fast * 1e3:>14.3f} {slow * 1e3:>10.2f} {slow / fast:>8.1f}x"
                  + ("" if agree else "  (picks differ!)"))
    print("whole-body rule (what 136-keypoint models run), vectorised ms:")
    for heatmap in (True, False):
        p = PoseNMSParams.for_layout(136, heatmap_head=heatmap)
        for n in (20, 100):
            boxes, bs, kp, ks = random_candidates(n, 136)
            t = min(_time(lambda: parametric_pose_nms(boxes, bs, kp, ks, p)) for _ in range(a.repeat))
            print(f"{n:>5} {136:>4} {t * 1e3:>14.3f}  ({'heatmap' if heatmap else 'regression'} head parameters)")


def _time(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
