"""Jitter and lag of the One-Euro keypoint smoothing (core/tracking/one_euro.py) with the nodes' defaults.

    python -m alphapose_ros.bench.smoothing [--split test|dev]

2D, real footage (vtest.avi through the no-download pipeline with crop tracking, as the tracking node
smooths it): *jitter* is the std over time of a still person's keypoints (px; vtest has almost no one
standing still, so a still person is one real frame shown 40 times with fresh camera noise, sigma 3 grey
levels); *lag* at walking speed is the time shift (frames, 0.05 steps) that best aligns the smoothed
keypoints with the raw ones of people walking faster than 0.3 body heights/s.
3D, synthetic RGB-D scenes (known truth; 30 Hz; 2D keypoints with 2 px noise, lifted through the depth
image as the keypoints_3d node does): jitter of a person standing 2.5 m away (mm), lag of one walking
across at 1.4 m/s and one walking towards the camera, and the error of the person's velocity (m/s).
Defaults were chosen on `--split dev` (vtest frames 400-794, still frames 500 and 700, scene seed 1);
`--split test` (frames 0-399, still frames 100 and 300, scene seed 2) is what the README reports.
"""
from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

from alphapose_ros.core.tracking.one_euro import (METRE_DEFAULTS, MIN_SCORE, PIXEL_DEFAULTS, OneEuroParams,
                                                  TrackSmoother, smooth_keypoints_2d, smooth_keypoints_3d)

FOOTAGE = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
SPLITS = {"dev": {"frames": (400, 794), "still": (500, 700), "seed": 1},
          "test": {"frames": (0, 399), "still": (100, 300), "seed": 2}}


def _pipeline():
    from alphapose_ros.bench.real_people import build
    from alphapose_ros.core.crop_tracking import CropTracker
    from alphapose_ros.core.pipeline import FramePipeline, PoseNMSConfig, nms_params_for
    from alphapose_ros.core.tracking.msim import MSIMTracker

    det, est = build("hog-small", 0)
    return FramePipeline(est, det, PoseNMSConfig("parametric", nms_params_for(est)), MSIMTracker(),
                         crop_tracker=CropTracker())


def _tracked(frames) -> list:
    """(time, PoseSet) per frame from the pipeline."""
    return [(item.payload.t, item.data["poses"]) for item in _pipeline().run(frames) if item.error is None]


def _per_track(seq: list, params: OneEuroParams) -> dict[int, dict[int, tuple]]:
    """track -> frame index -> (raw (K,2), smoothed (K,2), valid (K,), box height), smoothing as the node does."""
    sm = TrackSmoother(params)
    out: dict[int, dict[int, tuple]] = defaultdict(dict)
    for f, (t, p) in enumerate(seq):
        s = smooth_keypoints_2d(sm, t, p, MIN_SCORE)
        for i, tid in enumerate(p.track_ids):
            out[int(tid)][f] = (p.keypoints[i], s.keypoints[i], p.keypoint_scores[i] >= MIN_SCORE,
                                float(p.boxes[i, 3] - p.boxes[i, 1]))
    return out


def still_jitter(images: list[np.ndarray], params: OneEuroParams, repeats: int = 40, settle: int = 10,
                 seed: int = 0) -> tuple[float, float]:
    """Std over time (px) of still people's keypoints, raw and smoothed: the median over people and keypoints."""
    from alphapose_ros.core.pipeline import Frame

    rng = np.random.default_rng(seed)
    raw, smooth = [], []
    for img in images:
        frames = (Frame(f"{j}.jpg", j * 0.1, np.clip(img + rng.normal(0, 3, img.shape), 0, 255).astype(np.uint8),
                        meta=j) for j in range(repeats))
        for track in _per_track(_tracked(frames), params).values():
            fs = [f for f in sorted(track) if f >= settle]
            if len(fs) < repeats // 2:
                continue
            ok = np.all([track[f][2] for f in fs], 0)
            raw.extend(np.stack([track[f][0] for f in fs])[:, ok].std(0).mean(-1))
            smooth.extend(np.stack([track[f][1] for f in fs])[:, ok].std(0).mean(-1))
    return float(np.median(raw)), float(np.median(smooth))


def walking_lag(tracks: dict[int, dict[int, tuple]], min_speed: float = 0.3, dt: float = 0.1) -> tuple[float, int]:
    """The shift (frames) that best aligns smoothed with raw keypoints over walking frames, and their count."""
    walking = []
    for track in tracks.values():
        for f in track:
            if all(g in track for g in range(f - 5, f + 6)):
                a, b = track[f - 5], track[f + 5]
                speed = np.linalg.norm(np.median(b[0] - a[0], 0)) / (10 * dt)
                if speed > min_speed * track[f][3]:
                    walking.append((track, f))
    best, best_err = 0.0, np.inf
    for shift in np.arange(0.0, 3.001, 0.05):
        g0, w = int(np.floor(shift)), shift - np.floor(shift)
        err = n = 0
        for track, f in walking:
            lo, hi = track[f - g0], track[f - g0 - 1]
            ok = track[f][2] & lo[2] & hi[2]
            rows = track[f][1] - ((1 - w) * lo[0] + w * hi[0])
            err += float((rows[ok] ** 2).sum())
            n += int(ok.sum())
        if n and err / n < best_err:
            best, best_err = float(shift), err / n
    return best, len(walking)


def scene_3d(kind: str, seed: int, frames: int = 60, fps: float = 30.0) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """(time, poses with raw 3D, true (17,3) joints, true velocity (3,)) per frame of one synthetic person."""
    from alphapose_ros.core.people3d.keypoints_3d import lift
    from alphapose_ros.core.poses import PoseSet
    from alphapose_ros.synthetic.rgbd_scenes import camera, person, render

    rng = np.random.default_rng(seed)
    intr = camera()
    body = person(2.5, rng, intr)
    body -= [body[11:13, 0].mean(), 0.0, 0.0]  # hip centre on the optical axis
    velocity = {"still": (0.0, 0.0, 0.0), "across": (1.4, 0.0, 0.0), "towards": (0.0, 0.0, -1.4)}[kind]
    start = {"still": (0.0, 0.0, 0.0), "across": (-1.2, 0.0, 0.0), "towards": (0.0, 0.0, 1.5)}[kind]
    out = []
    for f in range(frames):
        t = f / fps
        joints = body + np.asarray(start) + np.asarray(velocity) * t
        fr = render([joints], intr, rng)
        kp = fr.keypoints + rng.normal(0.0, 2.0, fr.keypoints.shape).astype(np.float32)
        scores = fr.visible.astype(np.float32)
        xyz, pos = lift(kp, scores, fr.depth_mm.astype(np.float32) / 1000.0, intr, (intr.width, intr.height),
                        "coco_17")
        p = PoseSet("coco_17", np.array([[0, 0, 1, 1]]), np.ones(1), kp, scores, np.ones(1),
                    track_ids=np.array([1]), keypoints_3d=xyz, positions=pos)
        out.append((t, p, joints, np.asarray(velocity, np.float64)))
    return out


def measure_3d(kind: str, seed: int, params: OneEuroParams, settle: int = 15) -> dict:
    """Jitter (mm, std over time; median over keypoints), lag (frames, along the walking direction), velocity
    error (m/s) and the points held out as jumps."""
    scene = scene_3d(kind, seed)
    kps, pos = TrackSmoother(params), TrackSmoother(params)
    raw, smooth, truth, v_err = [], [], [], []
    for f, (t, p, joints, v) in enumerate(scene):
        s = smooth_keypoints_3d(kps, pos, t, p)
        if f >= settle:
            raw.append(p.keypoints_3d[0])
            smooth.append(s.keypoints_3d[0])
            truth.append(joints)
            v_err.append(np.linalg.norm(s.velocities[0] - v))
    raw, smooth, truth = (np.stack(a).astype(np.float64) for a in (raw, smooth, truth))
    ok = np.isfinite(raw).all((0, 2))
    v = scene[0][3]
    res = {"jitter_raw_mm": 1000 * float(np.median(raw[:, ok].std(0).mean(-1))),
           "jitter_mm": 1000 * float(np.median(np.nanstd(smooth[:, ok], 0).mean(-1))),
           "held_out": int(np.isnan(smooth[:, ok, 0]).sum()),
           "velocity_error": float(np.median(v_err))}
    if np.linalg.norm(v) > 0:
        dt = scene[1][0] - scene[0][0]
        along = (truth[:, ok] - smooth[:, ok]) @ (v / np.linalg.norm(v))
        along_raw = (truth[:, ok] - raw[:, ok]) @ (v / np.linalg.norm(v))
        res["lag_frames"] = float(np.nanmedian(along) / (np.linalg.norm(v) * dt))
        res["lag_raw_frames"] = float(np.median(along_raw) / (np.linalg.norm(v) * dt))
    return res


def cost_ms(people: int = 10, fmt: str = "halpe_136", frames: int = 200) -> tuple[float, float]:
    """Milliseconds per frame of the 2D and the 3D smoothing for `people` whole-body people."""
    import time

    from alphapose_ros.ros.smoke import synthetic_poses

    rng = np.random.default_rng(0)
    p = synthetic_poses(people, fmt, seed=1)
    p.track_ids = np.arange(1, people + 1)
    p.keypoints_3d, p.positions = rng.random((people, p.num_keypoints, 3)), rng.random((people, 3))
    s2, s3, sp = TrackSmoother(PIXEL_DEFAULTS), TrackSmoother(METRE_DEFAULTS), TrackSmoother(METRE_DEFAULTS)
    out = []
    for step in (lambda t: smooth_keypoints_2d(s2, t, p, MIN_SCORE), lambda t: smooth_keypoints_3d(s3, sp, t, p)):
        t0 = time.perf_counter()
        for f in range(frames):
            step(f / 30)
        out.append(1000 * (time.perf_counter() - t0) / frames)
    return out[0], out[1]


def read_frames(first: int, last: int, stills: tuple[int, ...]):
    """vtest frames first..last as pipeline Frames, and the still frames' images."""
    from alphapose_ros.bench.real_people import read_video

    if not FOOTAGE.exists():
        raise SystemExit(f"{FOOTAGE} missing (install Debian's opencv-doc)")
    cap = cv2.VideoCapture(str(FOOTAGE))
    images = {}
    for i in range(max(stills) + 1):
        ok, img = cap.read()
        if ok and i in stills:
            images[i] = img.astype(np.float32)
    cap.release()
    frames = [fr for fr in read_video(FOOTAGE, None, last) if fr.meta >= first]
    return frames, [images[i] for i in stills]


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=SPLITS, default="test")
    a = ap.parse_args(argv)
    split = SPLITS[a.split]
    frames, stills = read_frames(*split["frames"], split["still"])
    j_raw, j_smooth = still_jitter(stills, PIXEL_DEFAULTS)
    lag, n_walk = walking_lag(_per_track(_tracked(iter(frames)), PIXEL_DEFAULTS))
    rows = {"vtest": {"jitter_raw": j_raw, "jitter": j_smooth, "lag_frames": lag, "walking_frames": n_walk}}
    for kind in ("still", "across", "towards"):
        rows[f"rgbd {kind}"] = measure_3d(kind, split["seed"], METRE_DEFAULTS)
    print(f"split {a.split}; 2D: min_cutoff {PIXEL_DEFAULTS.min_cutoff} Hz, beta {PIXEL_DEFAULTS.beta} per body "
          f"height/s; 3D: min_cutoff {METRE_DEFAULTS.min_cutoff} Hz, beta {METRE_DEFAULTS.beta} per m/s")
    print("| data | still jitter raw -> smoothed | ratio | lag at walking speed (frames) | velocity error |")
    print("|---|---|---|---|---|")
    r = rows["vtest"]
    print(f"| vtest 2D, still frames {split['still']} / walking frames {split['frames'][0]}-{split['frames'][1]} "
          f"({n_walk} person-frames) | {r['jitter_raw']:.2f} -> {r['jitter']:.2f} px | "
          f"{r['jitter_raw'] / r['jitter']:.1f}x | {r['lag_frames']:.2f} (10 Hz) | - |")
    s = rows["rgbd still"]
    print(f"| RGB-D 3D, standing at 2.5 m | {s['jitter_raw_mm']:.1f} -> {s['jitter_mm']:.1f} mm | "
          f"{s['jitter_raw_mm'] / s['jitter_mm']:.1f}x | - | {s['velocity_error']:.3f} m/s |")
    for kind in ("across", "towards"):
        s = rows[f"rgbd {kind}"]
        print(f"| RGB-D 3D, walking {kind} at 1.4 m/s | - | - | {s['lag_frames']:.2f} (30 Hz; raw "
              f"{s['lag_raw_frames']:.2f}) | {s['velocity_error']:.3f} m/s |")
    ms2, ms3 = cost_ms()
    print(f"cost per frame, 10 people x 136 keypoints: 2D {ms2:.2f} ms, 3D {ms3:.2f} ms")
    rows["cost_ms"] = {"2d": ms2, "3d": ms3}
    return rows


if __name__ == "__main__":
    main()
