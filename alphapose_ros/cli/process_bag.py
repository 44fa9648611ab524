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

from alphapose_ros.cli import bag_args
from alphapose_ros.core.io.bag_output import BagLocked, OutputLock, committed_rows, is_leftover, salvage
from alphapose_ros.core.io.pose_bag import COMMIT_EVERY
from alphapose_ros.core.io.results import unwritable_reason

log = logging.getLogger("alphapose-bag")


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    ap = argparse.ArgumentParser(prog="alphapose-bag", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bag", help="input rosbag2 folder")
    ap.add_argument("--out", help="output bag folder (must not exist, unless --overwrite)")
    ap.add_argument("--overwrite", action="store_true",
                    help="replace --out when it is a bag (one this command wrote, finished or interrupted)")
    ap.add_argument("--progress", choices=("auto", "on", "off"), default="auto",
                    help="progress bar on stderr (auto: when it is a terminal)")
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
    bag_args.add_arguments(ap)
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
        topic = a.image_topic or bags.only_image_topic(topics)
        if topic not in topics:
            raise ValueError(f"{a.bag}: no image topic {topic!r}; its image topics: {topics}")
        depth = None
        if a.depth_topic:
            info = a.camera_info_topic or f"{topic.rpartition('/')[0]}/camera_info"
            intrinsics = bags.camera_info(a.bag, info)
            depth = bags.DepthStream(a.bag, a.depth_topic, a.depth_slop)
        pipe = bag_args.build_pipeline(a)
        tracker = bag_args.make_tracker(a)
    except Exception as e:  # config, checkpoint, weights or bag problems: one clear line
        if depth is not None:
            depth.close()
        log.error("%s", e)
        return 2
    if replace:
        shutil.rmtree(a.out)
        log.info("replacing %s (--overwrite)", a.out)
    return _run(a, pipe, tracker, topic, (depth, intrinsics) if depth is not None else None)


BAG_FILES = (".mcap", ".db3", ".db3-shm", ".db3-wal", ".db3-journal", ".yaml")


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


def _run(a, pipe, tracker, topic: str, rgbd=None) -> int:
    """rgbd: (the depth stream, the camera's intrinsics) when --depth-topic is given."""
    import sqlite3

    from rosbags.rosbag2 import Writer, WriterError

    from alphapose_ros.core.io import bags
    from alphapose_ros.core.io.bag_shards import bag_frames, plan_shards
    from alphapose_ros.core.io.drawing import draw_poses
    from alphapose_ros.core.io.pose_bag import PoseBagWriter
    from alphapose_ros.core.io.progress import Progress
    from alphapose_ros.core.io.video_out import AnnotatedVideo
    from alphapose_ros.core.poses import PoseSet
    from alphapose_ros.core.tracking.offline import OfflineSteps

    fmt = pipe.estimator.format
    n, copied, t0 = 0, 0, time.perf_counter()
    skipped: Counter = Counter()  # reason -> count
    stopped, failed_output = "", False
    video = AnnotatedVideo(a.save_video, fps=10) if a.save_video else None
    total = bags.count_messages(a.bag, topic)
    bar = Progress(min(total, a.max_frames) if a.max_frames else total,
                   enabled=None if a.progress == "auto" else a.progress == "on")

    def skip(reason: str, note: str) -> None:
        if not skipped[reason]:
            log.warning("skipping: %s (%s; logged once, counted in the summary)", reason, note)
        skipped[reason] += 1

    depth, intrinsics = rgbd if rgbd is not None else (None, None)
    steps = OfflineSteps(tracker, not a.no_smoothing, depth, intrinsics, skip)
    frames = bag_frames(a.bag, topic, plan_shards(a.bag, topic, a.shard_frames),
                        on_skip=lambda why: skip(why, "no pose message: it has no header to answer with"))
    # rosbags aborts a bag (no metadata.yaml: unreadable) when an exception leaves its context, so a
    # failure or Ctrl-C is caught inside it: the bag is closed with every message written so far
    try:
        with Writer(a.out, version=9) as w:
            out = PoseBagWriter(w, a.bag, fmt, copy=not a.no_copy)
            copied = out.copied
            try:
                for item in pipe.run(frames, queue_size=a.qsize, concurrent=not a.sequential):
                    header, reason = item.payload.meta
                    img = item.payload.image_bgr
                    if item.error:
                        skip(reason or str(item.error), "its pose message is empty")
                        poses, (wd, ht) = PoseSet.empty(fmt.name, fmt.num_keypoints), (0, 0)
                    else:
                        ht, wd = img.shape[:2]
                        poses = steps(bags.stamp_ns(header), item.data["poses"], (wd, ht), img)
                        if video is not None:
                            video.write(draw_poses(img, poses))
                    out.write(header, poses, wd, ht)
                    n += 1
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


if __name__ == "__main__":
    sys.exit(main())
