"""Benchmark the trackers on synthetic crossing scenes: MOTA, IDF1, ID switches and time per
frame for 5, 20 and 50 people -- MSIM with and without identity embeddings, and PoseFlow on
rendered frames (ORB correspondences) and without images (identity correspondences, as the
tracking node runs it).

    python -m alphapose_ros.bench.tracking [--seeds 5] [--poseflow-seeds 2] [--frames 200] [--out f.json]
"""
from __future__ import annotations

import argparse
import json
from functools import partial

import numpy as np

from alphapose_ros.core.tracking.metrics import mean_summary, score_tracker
from alphapose_ros.core.tracking.msim import MSIMParams, MSIMTracker
from alphapose_ros.core.tracking.poseflow import PoseFlowTracker
from alphapose_ros.synthetic.tracking_scenes import SceneSpec, make_scene, render, scene_textures


# AlphaPose's code, then the paper's parts: the pose term (eq. 19) in stage 2, the relaxed repeat over all
MSIM_VARIANTS = [(" (AlphaPose's code)", {"relaxed_all": False}),
                 (" + pose term", {"relaxed_all": False, "pose_weight": 0.5, "fused_thresh": 0.6}),
                 (" + relaxed all (default)", {"relaxed_all": True}),
                 (" + pose term + relaxed all", {"pose_weight": 0.5, "fused_thresh": 0.6, "relaxed_all": True})]


def _draw(textures, frame):
    return render(frame, *textures)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--people", default="5,20,50")
    ap.add_argument("--seeds", type=int, default=5, help="scenes per crowd size (summed/averaged)")
    ap.add_argument("--poseflow-seeds", type=int, default=2, help="scenes for PoseFlow on images (slow: ORB)")
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--out", help="write the figures as JSON here")
    a = ap.parse_args(argv)
    rows = []
    print(f"synthetic crossing scenes, {a.frames} frames at 30 fps, {a.seeds} seeds each")
    for n in map(int, a.people.split(",")):
        specs = [SceneSpec(people=n, frames=a.frames, seed=s) for s in range(a.seeds)]
        scenes = [make_scene(sp) for sp in specs]
        gt = np.mean([len(f.gt_ids) for sc in scenes for f in sc])
        runs = {}
        for emb in (False, True):
            for label, extra in MSIM_VARIANTS:
                runs[f"MSIM{label} {'with' if emb else 'without'} embeddings"] = [
                    score_tracker(MSIMTracker(MSIMParams(frame_rate=30.0, **extra)), sc, emb) for sc in scenes]
        runs["PoseFlow without images"] = [score_tracker(PoseFlowTracker(), sc, False) for sc in scenes]
        runs[f"PoseFlow on images ({min(a.poseflow_seeds, a.seeds)} seeds)"] = [
            score_tracker(PoseFlowTracker(), sc, False, draw=partial(_draw, scene_textures(sp)))
            for sp, sc in list(zip(specs, scenes))[:a.poseflow_seeds]]
        for name, rs in runs.items():
            if not rs:
                continue
            row = {"people": n, "tracker": name, "visible_per_frame": float(gt), **mean_summary([r[0] for r in rs]),
                   "ms_per_frame": float(np.mean([r[1] for r in rs]))}
            rows.append(row)
            print(f"  {n:3d} people ({gt:4.1f} on screen), {name}: MOTA {row['mota']:.3f}, IDF1 {row['idf1']:.3f}, "
                  f"ID switches {row['id_switches']}, {row['ms_per_frame']:.2f} ms/frame")
    if a.out:
        with open(a.out, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
