"""Reference implementations written the plain way, pair by pair and keypoint by keypoint: what the
vectorised code is checked against in the tests and timed against in the benchmarks."""
from __future__ import annotations

import math

from alphapose_ros.core.nms.parametric import PoseNMSParams


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
