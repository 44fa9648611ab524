"""Benchmark: parametric pose NMS, vectorised vs a straightforward per-pair loop.

Prints ms per frame for 5, 20 and 100 candidates at 17 and 136 keypoints, both
implementations measured in the same run on the same inputs (and checked to agree).
"""
from __future__ import annotations

import argparse
import time

from alphapose_ros.core.nms.parametric import PoseNMSParams, parametric_pose_nms
from alphapose_ros.harness.reference import loop_pose_nms
from alphapose_ros.synthetic.pose_candidates import random_candidates


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
