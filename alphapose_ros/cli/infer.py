"""alphapose-infer: AlphaPose-style offline inference on images, folders, lists or videos.

    alphapose-infer --input <path>            (no weights: MediaPipe poses, HOG boxes (hog-small), crop tracking)
    alphapose-infer --cfg <AlphaPose yaml> --checkpoint <pth> --input <path> --detfile <json> --outdir out/
    alphapose-infer ... --detector yolov3 --yolo-cfg yolov3-spp.cfg --det-weights yolov3-spp.weights
    alphapose-infer ... --detector yolox-x --det-weights yolox_x.pth
    alphapose-infer ... --detector hog        (no-download, quicker, blind to far people)
    alphapose-infer --input <path> --pose-model rtmw-m --det-model yolox-m-human   (RTMPose family, ONNX)
    alphapose-infer --input IMG --detfile DETS.json --pose-model path/to/end2end.onnx --outdir out

Writes out/alphapose-results.json (AlphaPose's results format; --format open for the
OpenPose format) and, with --save-img / --save-video, annotated frames.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

import cv2

import numpy as np

from alphapose_ros.cli import crop_tracking_args, model_args
from alphapose_ros.core.pose.checkpoints import CheckpointError
from alphapose_ros.core.detectors.base import Detections
from alphapose_ros.core.detectors.darknet import DarknetError
from alphapose_ros.core.detectors.external import BoxFilter, filter_boxes
from alphapose_ros.core.detectors.factory import DETECTORS, make_detector
from alphapose_ros.core.engines.runtimes import ENGINES
from alphapose_ros.core.pose.backends import BACKENDS, make_pose_estimator
from alphapose_ros.core.io.detfile import DetectionFile
from alphapose_ros.core.io.drawing import draw_poses
from alphapose_ros.core.io.results import alphapose_records, openpose_people, write_json
from alphapose_ros.core.io.video_out import AnnotatedVideo
from alphapose_ros.core.io.sources import VIDEO_SUFFIXES, check_source, iter_frames, source_fps
from alphapose_ros.core.models.config import ConfigError, load_config
from alphapose_ros.core.pipeline import NMS_KINDS, Frame, FramePipeline, PoseNMSConfig, nms_params_for
from alphapose_ros.core.tracking.trackers import TRACKERS, make_tracker

log = logging.getLogger("alphapose-infer")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="alphapose-infer", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cfg", help="AlphaPose model config (YAML), as passed to AlphaPose; without it the "
                    "no-download MediaPipe backend runs")
    ap.add_argument("--checkpoint", help="pose checkpoint (.pth) matching --cfg (default: the cached official one)")
    ap.add_argument("--backend", choices=BACKENDS, default="auto",
                    help="pose backend (auto: alphapose with --cfg, else mediapipe)")
    ap.add_argument("--keypoints", choices=("halpe_26", "halpe_136"), default="halpe_26",
                    help="keypoint format of the mediapipe backend (halpe_136 adds hands and face)")
    ap.add_argument("--input", required=True, help="image, folder of images, .txt list of images, or video")
    ap.add_argument("--detfile", help="COCO detection-results JSON with person boxes (instead of a detector)")
    ap.add_argument("--detector", choices=DETECTORS, default=None,
                    help="person detector when no --detfile is given (default: yolov3 with --det-weights, else "
                         "hog-small; hog, hog-small and blazepose need no download)")
    ap.add_argument("--det-tile", type=int, default=0,
                    help="blazepose: also detect on overlapping tiles of this size (finds small people)")
    model_args.add_detector_files(ap)
    ap.add_argument("--det-confidence", type=float, default=0.1, help="detector confidence threshold")
    ap.add_argument("--det-nms", type=float, default=0.6, help="detector box NMS IoU threshold")
    ap.add_argument("--det-soft-nms", action="store_true",
                    help="YOLO detectors: Gaussian soft-NMS (overlapping boxes decayed, not deleted; crowds)")
    ap.add_argument("--outdir", default="examples/res", help="output folder")
    ap.add_argument("--format", choices=("coco", "open"), default="coco", help="results format")
    ap.add_argument("--pose-nms", choices=NMS_KINDS, default="parametric")
    ap.add_argument("--tracker", choices=("none",) + TRACKERS, default="none",
                    help="give people track IDs (written as idx): msim (the paper's tracker) or poseflow")
    ap.add_argument("--pose-track", "--pose_track", dest="tracker", action="store_const", const="msim",
                    help="AlphaPose's flag: same as --tracker msim")
    ap.add_argument("--pose-flow", "--pose_flow", dest="tracker", action="store_const", const="poseflow",
                    help="AlphaPose's flag: same as --tracker poseflow")
    ap.add_argument("--reid-weights", default="auto",
                    help="re-ID weights for --tracker msim embeddings: OSNet-AIN, or the pose-guided branch "
                         "alphapose-train wrote beside --checkpoint (reid_<step>.pth); auto: the official "
                         "OSNet-AIN file when cached; none: match by position and shape only")
    ap.add_argument("--min-box-area", type=float, default=0.0, help="drop poses smaller than this (px^2)")
    ap.add_argument("--flip", action="store_true", help="flip test (averages a mirrored pass)")
    ap.add_argument("--posebatch", type=int, default=64, help="crops per network batch")
    ap.add_argument("--detbatch", type=int, default=1, help="frames per detector batch")
    ap.add_argument("--qsize", type=int, default=4, help="frames each queue between stages holds")
    ap.add_argument("--sequential", action="store_true",
                    help="run the stages one after another (default: concurrently, joined by queues)")
    ap.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    ap.add_argument("--fp16", action="store_true", help="half precision (CUDA only)")
    ap.add_argument("--engine", choices=ENGINES, default="torch",
                    help="what runs the AlphaPose and YOLO networks (onnxruntime/openvino: an export made on "
                         "first use, or --exported for the pose network)")
    ap.add_argument("--exported", help="an alphapose-export .onnx (FP32 or INT8) to run with --engine")
    ap.add_argument("--save-img", action="store_true", help="write annotated frames to outdir/vis/")
    ap.add_argument("--save-video", action="store_true", help="write an annotated video (video inputs)")
    ap.add_argument("--max-frames", type=int, default=0, help="stop after this many frames (0 = all)")
    crop_tracking_args.add_arguments(ap)
    model_args.add_arguments(ap)
    return ap


def make_frames(a: argparse.Namespace, one_stage: bool = False):
    """The pipeline's detector (None with --detfile), the frames it will see (with the detfile's filtered
    boxes attached when given) and the DetectionFile (or None). Frame times are in seconds (for trackers)."""
    fps = source_fps(a.input)
    if one_stage and a.detfile:
        log.warning("%s finds its own people: the boxes of --detfile are not used", a.pose_model)
    if one_stage:
        return None, lambda: (Frame(name, i / fps, img) for i, (name, img) in enumerate(iter_frames(a.input))), None
    if not a.detfile:
        if a.detector is None and not a.det_model:  # AlphaPose's default with its weights, else no-download
            a.detector = "yolov3" if a.det_weights else "hog-small"
            log.info("detector: %s", a.detector)
        det = make_detector(a.detector, weights=a.det_weights, yolo_cfg=a.yolo_cfg, engine=a.engine,
                            confidence=a.det_confidence, box_nms="soft" if a.det_soft_nms else "hard",
                            nms_thresh=a.det_nms, device=a.device, half=a.fp16, tile=a.det_tile, model=a.det_model,
                            exported=a.det_exported)
        return det, lambda: (Frame(name, i / fps, img) for i, (name, img) in enumerate(iter_frames(a.input))), None
    dets = DetectionFile(a.detfile)
    f = BoxFilter(confidence=a.det_confidence, nms_thresh=a.det_nms)

    def frames():
        for i, (name, img) in enumerate(iter_frames(a.input)):
            raw = dets.boxes_for(name)
            d = filter_boxes(Detections(raw[0], raw[1], np.zeros(len(raw[0]), np.int64)),
                             (img.shape[1], img.shape[0]), f)
            yield Frame(name, i / fps, img, d.boxes, d.scores)
    return None, frames, dets


def prepare_outputs(a: argparse.Namespace) -> Path:
    """Create the output folders and check they can be written, before anything is computed, so a long
    run cannot end in a PermissionError with its results lost. Raises OSError naming the path."""
    out = Path(a.outdir)
    for d in (out, out / "vis") if a.save_img else (out,):
        try:
            d.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise OSError(f"cannot create the output folder {d}: {e.strerror or e}") from None
        if not os.access(d, os.W_OK | os.X_OK):
            raise OSError(f"cannot write to the output folder {d}")
    for target in ["alphapose-results.json"] + (["alphapose-result.avi"] if a.save_video else []):
        if (out / target).is_dir():
            raise OSError(f"{out / target} is a folder; it cannot be written")
    return out


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    a = build_parser().parse_args(argv)
    try:
        check_source(a.input)  # a bad --input or --cfg is named before any model loads or any file is touched
        if a.cfg:
            load_config(a.cfg)
        out = prepare_outputs(a)
        est = make_pose_estimator(a.backend, cfg=a.cfg, checkpoint=a.checkpoint, keypoint_format=a.keypoints,
                                  device=a.device, half=a.fp16, batch_size=a.posebatch, flip=a.flip,
                                  reid=a.reid_weights if a.tracker == "msim" else "none", engine=a.engine,
                                  exported=a.exported, pose_model=a.pose_model)
        detector, frames, detfile = make_frames(a, getattr(est, "one_stage", False))
    except (ConfigError, CheckpointError, DarknetError, ValueError, OSError, ImportError) as e:
        log.error("%s", e)
        return 2
    params = nms_params_for(est, area_thresh=a.min_box_area)
    tracker = None if a.tracker == "none" else make_tracker(a.tracker)
    # still images: detection only; a detfile's boxes are used as given (AlphaPose's results)
    video = Path(a.input).suffix.lower() in VIDEO_SUFFIXES and not a.detfile
    pipe = FramePipeline(est, detector, PoseNMSConfig(a.pose_nms, params), tracker, det_batch=a.detbatch,
                         crop_tracker=crop_tracking_args.crop_tracker(a, video))
    records: list[dict] = []
    openpose: dict[str, dict] = {}
    writer = AnnotatedVideo(out / "alphapose-result.avi") if a.save_video else None
    n, t0, rc = 0, time.perf_counter(), 0
    try:
        for item in pipe.run(frames(), queue_size=a.qsize, concurrent=not a.sequential):
            name, frame = item.payload.name, item.payload.image_bgr
            if item.error:
                log.warning("skipping %s: %s", name, item.error)
                continue
            poses, merged = item.data["poses"], item.data["merged"]
            if a.save_img or a.save_video:
                vis = draw_poses(frame, poses)
                if a.save_img and not cv2.imwrite(str(out / "vis" / name), vis):
                    raise OSError(f"cannot write {out / 'vis' / name}")
                if writer is not None:
                    writer.write(vis)
            records += alphapose_records(name, poses, merged)  # a frame counts once all its outputs are out
            if a.format == "open":
                openpose[name] = {"version": "AlphaPose v0.3", "people": openpose_people(poses)}
            n += 1
            if a.max_frames and n >= a.max_frames:
                break
    except OSError as e:  # keep what was finished: the results so far are written below
        log.error("%s; writing the results of the %d frames done", e, n)
        rc = 2
    except KeyboardInterrupt:
        log.warning("interrupted; writing the results of the %d frames done", n)
        rc = 130
    finally:
        if writer is not None:
            writer.close()
    unused = detfile.unused_images() if detfile is not None else []
    if unused:
        log.warning("%s: boxes for %d image ids that no input image matched (e.g. %s)", a.detfile, len(unused),
                    ", ".join(unused[:3]))
    if n or not rc:  # a run that failed before its first frame leaves earlier results alone
        try:
            write_json(out / "alphapose-results.json", records if a.format == "coco" else openpose)
        except OSError as e:
            log.error("%s: the results of %d frames could not be saved (earlier results there are untouched)",
                      e.strerror, n)
            return 2
    if rc:
        return rc
    dt = time.perf_counter() - t0
    log.info("%d frames, %d people in %.1f s (%.2f frames/s) -> %s", n, len(records), dt, n / max(dt, 1e-9),
             out / "alphapose-results.json")
    log.info("per stage, ms per frame: %s; detector on %d frames",
             ", ".join(f"{k} {v.ms_per_item:.1f}" for k, v in pipe.last_stats.items()), pipe.detector_runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
