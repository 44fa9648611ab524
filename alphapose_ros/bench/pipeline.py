"""Benchmark the offline pipeline: per-stage latency, sequential vs pipelined throughput,
CPU use and peak memory, and how per-frame cost grows with the number of people.

Fixed clip and models: the first --frames frames of vtest.avi, HOG person boxes (real
detections, no download) or --detector with --det-weights, and FastPose-50 COCO-17
(untrained unless --cfg/--checkpoint are given; speed does not depend on the values).
Prints a table and writes the figures as JSON (--out).
"""
from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np
import torch

FOOTAGE = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
FIXTURE_CFG = {"MODEL": {"TYPE": "FastPose", "NUM_LAYERS": 50}, "DATA_PRESET": {"NUM_JOINTS": 17},
               "LOSS": {"TYPE": "MSELoss"}, "DATASET": {"TRAIN": {"TYPE": "Mscoco"}}}


def build_estimator(a: argparse.Namespace):
    from alphapose_ros.core.pose.estimator import PoseEstimator
    from alphapose_ros.core.models.config import build_model, parse_config

    if a.cfg:
        return PoseEstimator.from_files(a.cfg, a.checkpoint, device=a.device, half=a.fp16, batch_size=a.posebatch,
                                        torchscript=a.torchscript)
    cfg = parse_config(FIXTURE_CFG)
    return PoseEstimator(cfg, build_model(cfg), device=a.device, half=a.fp16, batch_size=a.posebatch,
                         torchscript=a.torchscript)


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def timed_run(pipe, frames, concurrent: bool, qsize: int) -> dict:
    from alphapose_ros.core.pipeline import Frame

    c0, t0 = cpu_seconds(), time.perf_counter()
    lat = []
    n_people = 0
    for it in pipe.run((Frame(str(i), i / 25, f) for i, f in enumerate(frames)), qsize, concurrent):
        lat.append(it.t_out - it.t_in)
        n_people += 0 if it.error else len(it.data["poses"])
    wall = time.perf_counter() - t0
    return {"frames_per_s": len(frames) / wall, "cpu_cores_used": (cpu_seconds() - c0) / wall,
            "latency_ms_p50": 1000 * float(np.percentile(lat, 50)), "people_per_frame": n_people / len(frames),
            "stage_ms": {k: round(v.ms_per_item, 2) for k, v in pipe.last_stats.items()}}


def scaling(est, frame: np.ndarray, counts: list[int], repeats: int) -> dict:
    """Per-frame ms of the pose stages (pose, pose NMS, tracking) with n given boxes."""
    from alphapose_ros.core.pipeline import Frame, FramePipeline, PoseNMSConfig
    from alphapose_ros.core.tracking.msim import MSIMTracker

    h, w = frame.shape[:2]
    rng = np.random.default_rng(0)
    out = {}
    for n in counts:
        x = rng.uniform(0, w - 60, n)
        y = rng.uniform(0, h - 150, n)
        boxes = np.stack([x, y, x + 50, y + 140], 1).astype(np.float32)
        pipe = FramePipeline(est, None, PoseNMSConfig(), MSIMTracker())
        frames = [Frame(str(i), i / 25, frame, boxes + i, np.full(n, 0.9, np.float32)) for i in range(repeats)]
        list(pipe.run(frames[:1], concurrent=False))  # warm-up
        pipe = FramePipeline(est, None, PoseNMSConfig(), MSIMTracker())
        t = time.perf_counter()
        list(pipe.run(frames, concurrent=False))
        ms = 1000 * (time.perf_counter() - t) / repeats
        out[n] = {"ms_per_frame": round(ms, 1), "ms_per_person": round(ms / n, 1),
                  "stage_ms": {k: round(v.ms_per_item, 2) for k, v in pipe.last_stats.items() if k != "detect"}}
    return out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--video", type=Path, default=FOOTAGE)
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--detector", default="hog")
    ap.add_argument("--det-weights")
    ap.add_argument("--cfg")
    ap.add_argument("--checkpoint")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--fp16", action="store_true")
    ap.add_argument("--torchscript", action="store_true")
    ap.add_argument("--posebatch", type=int, default=32)
    ap.add_argument("--qsize", type=int, default=4)
    ap.add_argument("--people", default="1,5,20", help="box counts for the scaling figure ('' to skip)")
    ap.add_argument("--torch-threads", type=int, default=0, help="torch intra-op threads (0: torch's default)")
    ap.add_argument("--cv-threads", type=int, default=-1, help="OpenCV threads (-1: OpenCV's default)")
    ap.add_argument("--nms-score-thresh", type=float, default=-1.0,
                    help="pose NMS score threshold (-1: AlphaPose's for the model; 0 keeps an untrained "
                    "network's poses, so that pose NMS and tracking have work, as in the suite's graph (bench.suite))")
    ap.add_argument("--out", type=Path, help="write the figures here as JSON")
    a = ap.parse_args(argv)
    if a.torch_threads:
        torch.set_num_threads(a.torch_threads)
    if a.cv_threads >= 0:
        import cv2

        cv2.setNumThreads(a.cv_threads)
    from alphapose_ros.bench.detectors import read_frames
    from alphapose_ros.core.detectors.factory import make_detector
    from alphapose_ros.core.pipeline import FramePipeline, PoseNMSConfig, nms_params_for
    from alphapose_ros.core.tracking.msim import MSIMTracker

    frames = read_frames(a.video, a.frames)
    est = build_estimator(a)
    det = make_detector(a.detector, weights=a.det_weights, device=a.device, half=a.fp16)

    nms = PoseNMSConfig()
    if a.nms_score_thresh >= 0:
        nms = PoseNMSConfig(params=nms_params_for(est, score_thresh=a.nms_score_thresh))

    def pipe():
        return FramePipeline(est, det, nms, tracker=MSIMTracker())
    timed_run(pipe(), frames[:2], False, a.qsize)  # warm-up
    res = {"clip": f"{a.video.name} x{len(frames)} ({frames[0].shape[1]}x{frames[0].shape[0]})",
           "detector": a.detector, "pose_model": a.cfg or "FastPose-50 COCO-17 (untrained)",
           "device": a.device, "torch_threads": torch.get_num_threads(), "cv_threads": a.cv_threads}
    res["sequential"] = timed_run(pipe(), frames, False, a.qsize)
    res["pipelined"] = timed_run(pipe(), frames, True, a.qsize)
    slowest = max(res["sequential"]["stage_ms"].values())
    res["slowest_stage_bound_frames_per_s"] = 1000 / slowest
    res["pipelined_vs_bound"] = res["pipelined"]["frames_per_s"] / res["slowest_stage_bound_frames_per_s"]
    res["pipelined_vs_sequential"] = res["pipelined"]["frames_per_s"] / res["sequential"]["frames_per_s"]
    if a.people:
        res["people_scaling"] = scaling(est, frames[0], [int(n) for n in a.people.split(",")], 5)
    res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{res['clip']}, {res['detector']} + {res['pose_model']} on {a.device}, "
          f"{res['torch_threads']} torch threads, OpenCV threads {a.cv_threads}")
    for mode in ("sequential", "pipelined"):
        r = res[mode]
        print(f"  {mode:10s} {r['frames_per_s']:.2f} frames/s, p50 latency {r['latency_ms_p50']:.0f} ms, "
              f"{r['cpu_cores_used']:.2f} cores busy, stages (ms/frame) {r['stage_ms']}")
    print(f"  slowest stage alone bounds throughput at {res['slowest_stage_bound_frames_per_s']:.2f} frames/s: "
          f"pipelined reaches {res['pipelined_vs_bound']:.2f}x of it and {res['pipelined_vs_sequential']:.2f}x "
          "sequential")
    for n, r in res.get("people_scaling", {}).items():
        print(f"  {n:3d} people: {r['ms_per_frame']:.1f} ms/frame ({r['ms_per_person']:.1f} ms/person) {r['stage_ms']}")
    print(f"  peak RSS {res['peak_rss_mb']:.0f} MB")
    if a.out:
        a.out.write_text(json.dumps(res, indent=2))
    return res


if __name__ == "__main__":
    main()
