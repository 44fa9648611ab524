"""The options alphapose-bag and alphapose-fleet share (models, detector, engine, tracking, shards), and the
per-frame pipeline they build from them: the same flags give the same poses in both commands."""
from __future__ import annotations

import argparse
import logging

from alphapose_ros.cli import crop_tracking_args, model_args
from alphapose_ros.core.detectors.factory import DETECTORS, make_detector
from alphapose_ros.core.engines.runtimes import ENGINES
from alphapose_ros.core.tracking.trackers import TRACKERS

log = logging.getLogger("alphapose-bag")

SHARD_FRAMES = 300  # about 30 s of a 10 Hz camera: a crop-tracking restart costs a few frames' new people


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--image-topic", help="camera topic (default: the bag's only image topic)")
    ap.add_argument("--cfg", help="AlphaPose model config (YAML); without it the no-download MediaPipe backend runs")
    ap.add_argument("--checkpoint", help="pose checkpoint (.pth)")
    ap.add_argument("--allow-untrained", action="store_true", help="run untrained weights (plumbing checks only)")
    ap.add_argument("--detector", choices=DETECTORS, default="hog-small",
                    help="person detector (hog-small, hog, blazepose: no download)")
    model_args.add_detector_files(ap)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--engine", choices=ENGINES, default="torch",
                    help="what runs the AlphaPose and YOLO networks (onnxruntime/openvino: an export made on "
                         "first use, or --exported for the pose network)")
    ap.add_argument("--exported", help="an alphapose-export .onnx (FP32 or INT8) to run with --engine")
    ap.add_argument("--no-tracking", action="store_true")
    ap.add_argument("--no-smoothing", action="store_true", help="keypoints as estimated: no One-Euro filter per "
                    "track (the graph's tracking and keypoints_3d nodes smooth by default, and so does this)")
    ap.add_argument("--no-copy", action="store_true", help="write only the pose topics, not the input's topics")
    ap.add_argument("--keypoints", choices=("halpe_26", "halpe_136"), default="halpe_26",
                    help="keypoint format of the mediapipe backend")
    ap.add_argument("--tracker", choices=TRACKERS, default="msim", help="msim (the paper's) or poseflow")
    ap.add_argument("--reid-weights", default="auto",
                    help="re-ID weights for msim: OSNet-AIN, or the pose-guided branch alphapose-train wrote beside "
                         "--checkpoint; auto: the official OSNet-AIN file when cached; none: position and shape only")
    ap.add_argument("--shard-frames", type=_non_negative, default=SHARD_FRAMES,
                    help="crop tracking restarts from the detector alone every ~this many frames (windows of "
                         "recorded time), where alphapose-fleet cuts its shards: both give the same poses; "
                         "0: never (one long shard)")
    crop_tracking_args.add_arguments(ap)
    model_args.add_arguments(ap)


def _non_negative(text: str) -> int:
    n = int(text)
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {n}")
    return n


def build_pipeline(a: argparse.Namespace, threads: int = 0):
    """The per-frame stages (detection, crops, pose network, pose NMS; no tracking) the options ask for.
    `threads` > 0 caps the CPU threads of the networks and OpenCV (a fleet worker's share of the CPUs)."""
    from alphapose_ros.core.models.config import build_model, load_config
    from alphapose_ros.core.pipeline import FramePipeline, PoseNMSConfig, nms_params_for
    from alphapose_ros.core.pose.backends import make_pose_estimator
    from alphapose_ros.core.pose.estimator import PoseEstimator

    # untrained weights give low keypoint scores: keep every merged pose then, and follow no crops (their
    # poses would confirm nobody)
    untrained = bool(a.cfg and a.allow_untrained and not a.checkpoint)
    if untrained:
        cfg = load_config(a.cfg)
        est = PoseEstimator(cfg, build_model(cfg), device=a.device, engine=a.engine, threads=threads)
    else:
        reid = "none" if a.no_tracking or a.tracker != "msim" else a.reid_weights
        est = make_pose_estimator("auto", cfg=a.cfg, checkpoint=a.checkpoint, keypoint_format=a.keypoints,
                                  device=a.device, reid=reid, engine=a.engine, exported=a.exported,
                                  pose_model=a.pose_model, threads=threads)
    det = None if getattr(est, "one_stage", False) else make_detector(
        a.detector, weights=a.det_weights, yolo_cfg=a.yolo_cfg, device=a.device, engine=a.engine, model=a.det_model,
        threads=threads, exported=a.det_exported)
    extra = {"score_thresh": 0.0} if untrained else {}
    params = nms_params_for(est, **extra)
    log.info("pose model: %s", est.describe())
    return FramePipeline(est, det, PoseNMSConfig("parametric", params),
                         crop_tracker=None if untrained else crop_tracking_args.crop_tracker(a, video=True))


def make_tracker(a: argparse.Namespace):
    """The per-bag tracker the options ask for (None: --no-tracking)."""
    from alphapose_ros.core.tracking.trackers import make_tracker as make

    return None if a.no_tracking else make(a.tracker)
