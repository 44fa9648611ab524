"""Re-ID in tracking, measured on pixels: crossing scenes drawn as synthetic figures of people no
training set has seen (synthetic.rendered_scenes), the pose network of each arm run on the
scene's detections, MSIM tracking with that arm's embeddings (or none); MOTA, IDF1, ID switches.

    python -m alphapose_ros.bench.reid_tracking --cfg config/training/fastpose_small_halpe26_reid_pga.yaml \\
        --arm pga runs/reid_pga/model_3000.pth runs/reid_pga/reid_3000.pth \\
        --arm osnet_ain runs/reid_osnet/model_3000.pth runs/reid_osnet/reid_3000.pth \\
        --arm none runs/reid_pga/model_3000.pth none [--people 5,10] [--seeds 3] [--frames 150]
Every arm sees the same frames and detections. Also printed per arm: how far apart (cosine distance)
the embeddings of one person in consecutive frames are, against those of two different people.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import replace

import cv2
import numpy as np

from alphapose_ros.core.pose.backends import make_pose_estimator
from alphapose_ros.core.tracking.metrics import mean_summary, score_tracker
from alphapose_ros.core.tracking.msim import MSIMParams, MSIMTracker
from alphapose_ros.synthetic.rendered_scenes import FigureRenderer
from alphapose_ros.synthetic.tracking_scenes import SceneSpec, make_scene


def run_scene(spec: SceneSpec, estimators: dict) -> dict[str, list]:
    """Per arm, the scene's frames with that arm's keypoints (COCO-17 of its format), scores and embeddings."""
    frames = make_scene(spec)
    draw = FigureRenderer(spec)
    out = {name: [] for name in estimators}
    for k, f in enumerate(frames):
        rgb = cv2.cvtColor(draw(f, k), cv2.COLOR_BGR2RGB)
        for name, est in estimators.items():
            r = est(rgb, f.boxes)
            emb = r.embeddings if r.embeddings is not None else np.zeros((len(f.boxes), 0), np.float32)
            out[name].append(replace(f, keypoints=r.keypoints[:, :17].astype(np.float64),
                                     kp_scores=r.keypoint_scores[:, :17].astype(np.float64), embeddings=emb))
    return out


def embedding_gaps(frames: list) -> tuple[float, float]:
    """(median cosine distance of one person's embeddings a frame apart, median between different people
    in the same frame) over a scene's detections of true people."""
    same, other = [], []
    last: dict[int, np.ndarray] = {}
    for f in frames:
        if f.embeddings.shape[1] == 0:
            return float("nan"), float("nan")
        m = f.det_gt >= 0
        e, ids = f.embeddings[m], f.det_gt[m]
        if len(e) > 1:
            d = 1 - e @ e.T
            other.extend(d[np.triu_indices(len(e), 1)].tolist())
        for i, v in zip(ids, e):
            if int(i) in last:
                same.append(float(1 - v @ last[int(i)]))
            last[int(i)] = v
    return float(np.median(same)) if same else float("nan"), float(np.median(other)) if other else float("nan")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cfg", required=True, help="the pose config every arm's checkpoint was trained with")
    ap.add_argument("--arm", nargs=3, action="append", required=True, metavar=("NAME", "POSE_WEIGHTS", "REID"),
                    help="one arm: its name, pose checkpoint and re-ID weights (none: no embeddings)")
    ap.add_argument("--people", default="5,10")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--frames", type=int, default=150)
    ap.add_argument("--out", help="write the figures as JSON here")
    a = ap.parse_args(argv)
    estimators = {name: make_pose_estimator("alphapose", cfg=a.cfg, checkpoint=pose, reid=reid, batch_size=32)
                  for name, pose, reid in a.arm}
    rows = []
    print(f"figure-rendered crossing scenes (held-out identities), {a.frames} frames at 30 fps, {a.seeds} seeds each")
    for n in map(int, a.people.split(",")):
        per_arm: dict[str, list] = {name: [] for name in estimators}
        for s in range(a.seeds):
            for name, frames in run_scene(SceneSpec(people=n, frames=a.frames, seed=s), estimators).items():
                per_arm[name].append(frames)
        for name, scenes in per_arm.items():
            use = scenes[0][0].embeddings.shape[1] > 0
            rs = [score_tracker(MSIMTracker(MSIMParams(frame_rate=30.0)), sc, use)[0] for sc in scenes]
            gaps = np.array([embedding_gaps(sc) for sc in scenes])
            row = {"people": n, "arm": name, **mean_summary(rs),
                   "same_person_distance": float(np.nanmean(gaps[:, 0])) if use else None,
                   "other_person_distance": float(np.nanmean(gaps[:, 1])) if use else None}
            rows.append(row)
            gap = (f", embedding distance same person {row['same_person_distance']:.3f} vs others "
                   f"{row['other_person_distance']:.3f}" if use else "")
            print(f"  {n:3d} people, {name}: MOTA {row['mota']:.3f}, IDF1 {row['idf1']:.3f}, "
                  f"ID switches {row['id_switches']}{gap}")
    if a.out:
        with open(a.out, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
