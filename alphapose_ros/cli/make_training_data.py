"""alphapose-make-data: training data made here, as COCO-format dataset folders.

    alphapose-make-data synthetic --out data/synthetic --images 800 [--seed 0] [--only-part face]
                        [--identities 300 --identity-seed 0]
        articulated Halpe-136 figures over OpenCV's sample photos, exact labels (or one part's only);
        with --identities, every figure is one of that many people with their own clothes (re-ID training)
    alphapose-make-data teacher --out data/teacher --video vtest.avi --frames 300 [--every 2] [--skip 0]
        real frames labelled by the no-download MediaPipe backend (Halpe-26) on its own detections
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

log = logging.getLogger("alphapose-make-data")


def synthetic(out: Path, images: int, seed: int, size: tuple[int, int], only: str = "", identities: int = 0,
              identity_seed: int = 0) -> int:
    import numpy as np

    from alphapose_ros.core.io.progress import Progress
    from alphapose_ros.core.skeletons import get_format
    from alphapose_ros.core.training.datasets import DatasetWriter, only_part
    from alphapose_ros.synthetic.figures import background_images, identity_looks, make_image

    backgrounds = background_images()
    if not backgrounds:
        log.warning("no OpenCV sample photos found (Debian's opencv-doc): figures are drawn over noise")
    fmt = get_format("halpe_136")
    what = f"synthetic figures, seed {seed}" + (f", {only} labels only" if only else "")
    if identities:
        what += f", {identities} identities (identity seed {identity_seed})"
    writer = DatasetWriter(out, fmt, what)
    looks = identity_looks(identities, identity_seed) if identities else None
    rng = np.random.default_rng(seed)
    bar = Progress(images, "images")
    n = 0
    for _ in range(images):
        img, people = make_image(rng, backgrounds, size, looks=looks)
        if only:
            people = only_part(people, fmt, only)
        writer.add(img, people)
        n += len(people)
        bar.update()
    bar.close()
    writer.close()
    return n


def teacher(out: Path, video: Path, frames: int, every: int, skip: int, tile: int = 256) -> int:
    import cv2

    from alphapose_ros.core.detectors.factory import make_detector
    from alphapose_ros.core.pose.backends import make_pose_estimator
    from alphapose_ros.core.skeletons import get_format
    from alphapose_ros.core.training.datasets import DatasetWriter
    from alphapose_ros.core.training.teacher import label_frames

    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        raise ValueError(f"cannot open video {video}")

    def read():
        k = 0
        while k < skip + frames * every:
            ok, f = cap.read()
            if not ok:
                return
            if k >= skip and (k - skip) % every == 0:
                yield f
            k += 1

    est = make_pose_estimator("mediapipe", keypoint_format="halpe_26", reid="none")
    writer = DatasetWriter(out, get_format("halpe_26"), f"{video.name} frames labelled by MediaPipe (teacher)")
    n = label_frames(read(), make_detector("blazepose", tile=tile), est, writer)
    writer.close()
    return n


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    ap = argparse.ArgumentParser(prog="alphapose-make-data", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="kind", required=True)
    s = sub.add_parser("synthetic")
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--images", type=int, default=800)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--size", type=int, nargs=2, default=(384, 288), metavar=("W", "H"))
    s.add_argument("--only-part", choices=("body", "face", "hands"), default="",
                   help="label one part only, as a part-only dataset does (face/hands: tight part boxes)")
    s.add_argument("--identities", type=int, default=0,
                   help="draw every figure as one of this many people, each with their own clothes, and label "
                        "their identity (re-ID training); 0: every figure looks different")
    s.add_argument("--identity-seed", type=int, default=0, help="which people (held-out sets take another seed)")
    t = sub.add_parser("teacher")
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--video", type=Path, default=Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi"))
    t.add_argument("--frames", type=int, default=300)
    t.add_argument("--every", type=int, default=2, help="take every n-th frame")
    t.add_argument("--skip", type=int, default=0, help="frames to skip first (held-out splits)")
    t.add_argument("--det-tile", type=int, default=256, help="BlazePose detector tile size (small people)")
    a = ap.parse_args(argv)
    if (a.out / "annotations.json").exists():
        log.error("%s already holds a dataset; remove it or pass another --out", a.out)
        return 2
    try:
        if a.kind == "synthetic" and a.identities < 0:
            raise ValueError("--identities must be 0 or more")
        n = (synthetic(a.out, a.images, a.seed, tuple(a.size), a.only_part, a.identities, a.identity_seed)
             if a.kind == "synthetic"
             else teacher(a.out, a.video, a.frames, a.every, a.skip, a.det_tile))
    except (OSError, ValueError, RuntimeError) as e:
        log.error("%s", e)
        return 2
    log.info("%d people labelled in %s", n, a.out / "annotations.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
