"""alphapose-bag: run the pipeline over a rosbag2's camera topic, writing tracked poses.

    alphapose-bag --bag in_bag --out poses_bag [--cfg <AlphaPose yaml> --checkpoint <pth>] [--detector hog]
    alphapose-bag --video vtest.avi --make-bag camera_bag      (turn a video into a camera bag)
    alphapose-bag --salvage poses_bag    (after a power cut: a readable bag of the frames that were done)
    alphapose-bag --bag rgbd_bag --out poses_bag --depth-topic /camera/aligned_depth_to_color/image_raw

The output bag holds every topic of the input (copied as recorded; --no-copy leaves them
out) plus the poses: every image message yields exactly one WholeBodyPoseArray on
/alphapose/poses with the image's header (also when nobody is in it); undecodable frames
are logged and still answered with an empty array, so outputs line up one-to-one with
inputs (a message too corrupt to have a header is skipped; the summary counts every skip by
reason). On Ctrl-C or a failure the output bag is closed, readable, with the frames done;
--overwrite replaces it on the next run.
The keypoint layout goes once on /alphapose/keypoint_layout. Without --cfg the
no-download MediaPipe backend estimates the poses. A progress bar runs on a terminal.
"""
from __future__ import annotations

import argparse
import logging
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

from alphapose_ros.cli import crop_tracking_args, model_args
from alphapose_ros.core.detectors.factory import DETECTORS, make_detector
from alphapose_ros.core.engines.runtimes import ENGINES
from alphapose_ros.core.io.bag_output import (BagLocked, OutputLock, commit_pending, committed_rows, is_leftover,
                                               salvage)
from alphapose_ros.core.io.results import unwritable_reason
from alphapose_ros.core.tracking.trackers import TRACKERS

log = logging.getLogger("alphapose-bag")


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    ap = argparse.ArgumentParser(prog="alphapose-bag", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bag", help="input rosbag2 folder")
    ap.add_argument("--image-topic", help="camera topic (default: the bag's only image topic)")
    ap.add_argument("--out", help="output bag folder (must not exist, unless --overwrite)")
    ap.add_argument("--overwrite", action="store_true",
                    help="replace --out when it is a bag (one this command wrote, finished or interrupted)")
    ap.add_argument("--cfg", help="AlphaPose model config (YAML); without it the no-download MediaPipe backend runs")
    ap.add_argument("--checkpoint", help="pose checkpoint (.pth)")
    ap.add_argument("--allow-untrained", action="store_true", help="run untrained weights (plumbing checks only)")
    ap.add_argument("--detector", choices=DETECTORS, default="hog-small",
                    help="person detector (hog-small, hog, blazepose: no download)")
    ap.add_argument("--yolo-cfg", help="darknet cfg for --detector yolov3")
    ap.add_argument("--det-weights", "--yolo-weights", dest="det_weights",
                    help="detector weights: yolov3-spp.weights, or the YOLOX release .pth")
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
    ap.add_argument("--progress", choices=("auto", "on", "off"), default="auto",
                    help="progress bar on stderr (auto: when it is a terminal)")
    ap.add_argument("--tracker", choices=TRACKERS, default="msim", help="msim (the paper's) or poseflow")
    ap.add_argument("--reid-weights", default="auto",
                    help="re-ID weights for msim: OSNet-AIN, or the pose-guided branch alphapose-train wrote beside "
                         "--checkpoint; auto: the official OSNet-AIN file when cached; none: position and shape only")
    ap.add_argument("--save-video", help="also write an annotated video here")
    ap.add_argument("--max-frames", type=int, default=0)
    ap.add_argument("--qsize", type=int, default=4, help="frames each queue between stages holds")
    ap.add_argument("--sequential", action="store_true", help="run the stages one after another")
    ap.add_argument("--depth-topic", help="a depth image registered to the camera (16UC1 mm or 32FC1 m): the poses "
                    "get 3D keypoints and positions, as the keypoints_3d node gives them")
    ap.add_argument("--camera-info-topic", help="the camera's camera_info (default: camera_info beside the image "
                    "topic)")
    ap.add_argument("--depth-slop", type=float, default=0.02,
                    help="pair each image with the depth image nearest in stamp within this (s)")
    crop_tracking_args.add_arguments(ap)
    model_args.add_arguments(ap)
    ap.add_argument("--video", help="with --make-bag: the video to convert")
    ap.add_argument("--make-bag", help="write the video's frames into this new bag and exit")
    ap.add_argument("--salvage", metavar="OUT", help="make what a killed run left in OUT a readable bag of the "
                    "frames it had finished (committed every %d frames), and exit" % COMMIT_EVERY)
    a = ap.parse_args(argv)

    from alphapose_ros.core.io import bags

    if a.make_bag:
        if not a.video:
            ap.error("--make-bag needs --video")
        n = bags.video_to_bag(a.video, a.make_bag, max_frames=a.max_frames)
        log.info("%d frames -> %s", n, a.make_bag)
        return 0
    if a.salvage:
        try:
            n = salvage(a.salvage)
        except (ValueError, OSError) as e:
            log.error("%s", e)
            return 2
        log.info("%s: a readable bag of the %d messages the killed run had committed", a.salvage, n)
        return 0
    if not (a.bag and a.out):
        ap.error("--bag and --out are required")
    try:
        with OutputLock(a.out):  # one writer per output bag
            return _process(a)
    except BagLocked as e:
        log.error("%s", e)
        return 2


def _process(a) -> int:
    from alphapose_ros.core.io import bags

    depth = None
    try:  # everything that can be checked before the output is created and the model loaded
        replace = _check_output(a)
        topics = bags.image_topics(a.bag)
        topic = a.image_topic or _only_image_topic(topics)
        if topic not in topics:
            raise ValueError(f"{a.bag}: no image topic {topic!r}; its image topics: {topics}")
        depth = None
        if a.depth_topic:
            info = a.camera_info_topic or f"{topic.rpartition('/')[0]}/camera_info"
            intrinsics = bags.camera_info(a.bag, info)
            depth = bags.DepthStream(a.bag, a.depth_topic, a.depth_slop)
        pipe = _build_pipeline(a)
    except Exception as e:  # config, checkpoint, weights or bag problems: one clear line
        if depth is not None:
            depth.close()
        log.error("%s", e)
        return 2
    if replace:
        shutil.rmtree(a.out)
        log.info("replacing %s (--overwrite)", a.out)
    return _run(a, pipe, topic, (depth, intrinsics) if depth is not None else None)


BAG_FILES = (".mcap", ".db3", ".db3-shm", ".db3-wal", ".db3-journal", ".yaml")
COMMIT_EVERY = 10  # frames: what a power cut can lose at most


def _check_output(a) -> bool:
    """Check the output bag and video targets before anything is computed; True when --out is an existing
    bag that --overwrite may replace (only a bag folder is ever removed, never the input)."""
    out = Path(a.out)
    why = a.save_video and unwritable_reason(a.save_video)
    if why:
        raise ValueError(f"--save-video {a.save_video}: cannot write a video there ({why})")
    if not out.exists():
        if not out.parent.is_dir():
            raise ValueError(f"--out {out}: its folder {out.parent} does not exist")
        return False
    if not a.overwrite and is_leftover(out):
        raise ValueError(f"{out} is what a killed run left ({committed_rows(out)} messages committed): "
                         f"alphapose-bag --salvage {out} makes it a readable bag of them; --overwrite starts again")
    if not a.overwrite:
        raise ValueError(f"{out} exists already: pass --overwrite to replace it, or choose another --out")
    if out.resolve() == Path(a.bag).resolve():
        raise ValueError(f"--out {out} is the input bag: it cannot be replaced")
    if not out.is_dir() or any(not p.is_file() or not p.name.endswith(BAG_FILES) for p in out.iterdir()):
        raise ValueError(f"--overwrite: {out} is not a bag folder (only .mcap/.db3 files and metadata.yaml); "
                         "not removing it")
    return True


def _only_image_topic(topics: list[str]) -> str:
    if len(topics) != 1:
        raise ValueError(f"pass --image-topic: the bag has image topics {topics}")
    return topics[0]


def _build_pipeline(a):
    from alphapose_ros.core.pose.estimator import PoseEstimator
    from alphapose_ros.core.models.config import build_model, load_config
    from alphapose_ros.core.pipeline import FramePipeline, PoseNMSConfig, nms_params_for
    from alphapose_ros.core.pose.backends import make_pose_estimator
    from alphapose_ros.core.tracking.trackers import make_tracker

    # untrained weights give low keypoint scores: keep every merged pose then, and follow no crops (their
    # poses would confirm nobody)
    untrained = bool(a.cfg and a.allow_untrained and not a.checkpoint)
    if untrained:
        cfg = load_config(a.cfg)
        est = PoseEstimator(cfg, build_model(cfg), device=a.device, engine=a.engine)
    else:
        est = make_pose_estimator("auto", cfg=a.cfg, checkpoint=a.checkpoint, keypoint_format=a.keypoints,
                                  device=a.device, reid="none" if a.no_tracking or a.tracker != "msim" else a.reid_weights,
                                  engine=a.engine, exported=a.exported, pose_model=a.pose_model)
    det = None if getattr(est, "one_stage", False) else make_detector(
        a.detector, weights=a.det_weights, yolo_cfg=a.yolo_cfg, device=a.device, engine=a.engine, model=a.det_model)
    extra = {"score_thresh": 0.0} if untrained else {}
    params = nms_params_for(est, **extra)
    log.info("pose model: %s", est.describe())
    return FramePipeline(est, det, PoseNMSConfig("parametric", params), None if a.no_tracking else make_tracker(a.tracker),
                         crop_tracker=None if untrained else crop_tracking_args.crop_tracker(a, video=True))


def _run(a, pipe, topic: str, rgbd=None) -> int:
    """rgbd: (the depth stream, the camera's intrinsics) when --depth-topic is given."""
    import sqlite3

    from rosbags.rosbag2 import Writer, WriterError

    from alphapose_ros.core.io import bags
    from alphapose_ros.core.io.drawing import draw_poses
    from alphapose_ros.core.io.video_out import AnnotatedVideo
    from alphapose_ros.core.io.progress import Progress
    from alphapose_ros.core.pipeline import Frame
    from alphapose_ros.core.poses import PoseSet
    from alphapose_ros.core.tracking.one_euro import (METRE_DEFAULTS, MIN_SCORE, PIXEL_DEFAULTS, TrackSmoother,
                                                      smooth_keypoints_2d, smooth_keypoints_3d)

    ts = bags.typestore()
    fmt = pipe.estimator.format
    n, t0 = 0, time.perf_counter()
    skipped: Counter = Counter()  # reason -> count
    stopped, failed_output = "", False
    video = AnnotatedVideo(a.save_video, fps=10) if a.save_video else None
    out_topics = ("/alphapose/poses", "/alphapose/keypoint_layout")
    total = bags.count_messages(a.bag, topic)
    bar = Progress(min(total, a.max_frames) if a.max_frames else total,
                   enabled=None if a.progress == "auto" else a.progress == "on")

    def skip(reason: str, note: str) -> None:
        if not skipped[reason]:
            log.warning("skipping: %s (%s; logged once, counted in the summary)", reason, note)
        skipped[reason] += 1

    def frames():
        for i, (header, img, reason) in enumerate(bags.read_images(a.bag, topic)):
            if header is None:
                skip(reason, "no pose message: it has no header to answer with")
                continue
            yield Frame(str(i), bags.stamp_ns(header) * 1e-9, img, meta=(header, reason))

    depth, intrinsics = rgbd if rgbd is not None else (None, None)
    smooth = not (a.no_smoothing or a.no_tracking)
    smoothers = (TrackSmoother(PIXEL_DEFAULTS), TrackSmoother(METRE_DEFAULTS), TrackSmoother(METRE_DEFAULTS))
    # rosbags aborts a bag (no metadata.yaml: unreadable) when an exception leaves its context, so a
    # failure or Ctrl-C is caught inside it: the bag is closed with every message written so far
    try:
        with Writer(a.out, version=9) as w:
            copied = 0 if a.no_copy else bags.copy_messages(a.bag, w, skip_topics=out_topics)
            commit_pending(w)
            c_poses = w.add_connection(out_topics[0], bags.POSE_TYPE, typestore=ts)
            c_layout = w.add_connection(out_topics[1], bags.LAYOUT_TYPE, typestore=ts)
            try:
                for item in pipe.run(frames(), queue_size=a.qsize, concurrent=not a.sequential):
                    header, reason = item.payload.meta
                    t_ns = bags.stamp_ns(header)
                    img = item.payload.image_bgr
                    if n == 0:
                        w.write(c_layout, t_ns, ts.serialize_cdr(bags.layout_message(fmt, header), bags.LAYOUT_TYPE))
                    if item.error:
                        skip(reason or str(item.error), "its pose message is empty")
                        poses, (wd, ht) = PoseSet.empty(fmt.name, fmt.num_keypoints), (0, 0)
                    else:
                        poses = item.data["poses"]
                        ht, wd = img.shape[:2]
                        if smooth:  # as the tracking node does
                            poses = smooth_keypoints_2d(smoothers[0], t_ns * 1e-9, poses, MIN_SCORE)
                        if depth is not None:
                            _lift(poses, depth, t_ns, intrinsics, (wd, ht), skip)
                            if smooth:  # as the keypoints_3d node does
                                poses = smooth_keypoints_3d(smoothers[1], smoothers[2], t_ns * 1e-9, poses)
                        if video is not None:
                            video.write(draw_poses(img, poses))
                    w.write(c_poses, t_ns, ts.serialize_cdr(bags.pose_array(poses, header, wd, ht), bags.POSE_TYPE))
                    n += 1
                    if n % COMMIT_EVERY == 0:
                        commit_pending(w)
                    bar.update()
                    if a.max_frames and n >= a.max_frames:
                        break
            except KeyboardInterrupt:
                stopped = "interrupted"
            except Exception as e:  # noqa: BLE001 - whatever broke, keep the bag readable with what it has
                stopped = f"stopped by {type(e).__name__}: {e}"
    except (sqlite3.Error, OSError, WriterError) as e:  # a full disk, or an output that cannot be written
        stopped = f"cannot write {a.out} ({type(e).__name__}: {e})"
        failed_output = True
    bar.close()
    if depth is not None:
        depth.close()
    if video is not None:
        video.close()
    dt = time.perf_counter() - t0
    if skipped:
        log.warning("skipped: %s", ", ".join(f"{r} x{c}" for r, c in skipped.items()))
    if failed_output:
        log.error("%s after %d frames; it keeps the frames committed (every %d): once there is space, "
                  "alphapose-bag --salvage %s makes them a readable bag", stopped, n, COMMIT_EVERY, a.out)
        return 1
    if stopped:
        log.error("%s after %d frames; %s is closed and readable with them", stopped, n, a.out)
        return 130 if stopped == "interrupted" else 1
    log.info("%d frames (%d not processed) in %.1f s (%.2f frames/s), %d input messages copied -> %s",
             n, sum(skipped.values()), dt, n / max(dt, 1e-9), copied, a.out)
    return 0


def _lift(poses, depth, t_ns: int, intrinsics, size: tuple[int, int], skip) -> None:
    """Fill the poses' 3D keypoints and positions from the depth image nearest the frame (skip: why not)."""
    from alphapose_ros.core.people3d.keypoints_3d import lift

    depth_m, why = depth.nearest(t_ns)
    if depth_m is None:
        skip(why, "its poses are written without 3D")
        return
    poses.keypoints_3d, poses.positions = lift(poses.keypoints, poses.keypoint_scores, depth_m, intrinsics, size,
                                               poses.format_name)


if __name__ == "__main__":
    sys.exit(main())
