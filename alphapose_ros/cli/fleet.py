"""alphapose-fleet: many camera bags on a Ray cluster, each shard done exactly once.

    alphapose-fleet BAG... --out DIR [--workers N] [--address ADDR] [--gpus-per-worker G] [--shard-frames F]

Each input bag gives DIR/<its folder name>: the same bag alphapose-bag writes for it with the same options
(poses, stamps, track IDs). Without --address a local Ray cluster of --workers actors starts (each capped
to --cpus-per-worker CPU threads); with it, the run joins that cluster (every worker must read the bags at
the same paths). Shards are saved as they finish: a run killed at any point and started again with the same
command computes only what is missing. A bag that cannot be read is named and the others finish; the
command then exits 1. Every model, detector and engine option of alphapose-bag works here.
"""
from __future__ import annotations

import argparse
import functools
import logging
import sys

from alphapose_ros.cli import bag_args
from alphapose_ros.core.fleet.driver import FleetSettings, WorkersFailed
from alphapose_ros.core.io.bag_output import BagLocked, OutputLock

log = logging.getLogger("alphapose-fleet")

# options that do not change a bag's poses (a resumed run may differ in them)
RUN_ONLY = ("bags", "out", "workers", "address", "cpus_per_worker", "gpus_per_worker", "progress")


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    ap = argparse.ArgumentParser(prog="alphapose-fleet", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bags", nargs="+", metavar="BAG", help="input rosbag2 folders")
    ap.add_argument("--out", required=True, help="output folder: one bag per input bag, named like it")
    ap.add_argument("--workers", type=_positive, default=2, help="Ray actors running shards")
    ap.add_argument("--address", help="a running Ray cluster to join (auto, or ray://HOST:10001); "
                    "default: start a local one")
    ap.add_argument("--cpus-per-worker", type=float, default=1.0,
                    help="each worker's CPUs; its torch/OpenCV/runtime threads are capped to this")
    ap.add_argument("--gpus-per-worker", type=float, default=0.0,
                    help="> 0: GPU workers (the networks run on cuda unless --device says otherwise)")
    ap.add_argument("--progress", choices=("auto", "on", "off"), default="auto",
                    help="progress bar on stderr (auto: when it is a terminal)")
    bag_args.add_arguments(ap)
    a = ap.parse_args(argv)
    if a.tracker == "poseflow":
        ap.error("--tracker poseflow looks at the frames' pixels, which stay on the workers: use msim here, "
                 "or alphapose-bag")
    if a.gpus_per_worker > 0 and a.device == "cpu":
        a.device = "cuda"
    try:
        with OutputLock(a.out):  # one run per output folder
            return _run(a)
    except BagLocked as e:
        log.error("%s", e)
        return 2


def _positive(text: str) -> int:
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {n}")
    return n


def _run(a: argparse.Namespace) -> int:
    from alphapose_ros.core.fleet.driver import run_fleet

    settings = FleetSettings(workers=a.workers, cpus_per_worker=a.cpus_per_worker, gpus_per_worker=a.gpus_per_worker,
                             address=a.address, shard_frames=a.shard_frames)
    options = {k: v for k, v in vars(a).items() if k not in RUN_ONLY}
    try:
        s = run_fleet(a.bags, a.out, functools.partial(_pipeline, a), functools.partial(bag_args.make_tracker, a),
                      not a.no_smoothing, options, settings, image_topic=a.image_topic, copy=not a.no_copy,
                      progress=None if a.progress == "auto" else a.progress == "on")
    except WorkersFailed as e:  # the models cannot be built: nothing could run
        log.error("%s", e)
        return 2
    done = [j for j in s.bags if j.done]
    log.info("%d of %d bags done, %d frames in %.1f s (%.2f frames/s; %.2f once the workers were up), driver peak "
             "memory %.0f MB", len(done), len(s.bags), s.frames, s.seconds, s.frames / max(s.seconds, 1e-9),
             s.frames / max(s.working_seconds, 1e-9), s.driver_peak_mb)
    if s.failed:
        log.error("%d bags failed: %s", len(s.failed), "; ".join(f"{j.name}: {j.error}" for j in s.failed))
        return 1
    return 0


def _pipeline(a: argparse.Namespace, threads: int):
    """Runs on a worker: the per-frame stages, as alphapose-bag builds them."""
    logging.getLogger().setLevel(logging.WARNING)
    return bag_args.build_pipeline(a, threads=threads)


if __name__ == "__main__":
    sys.exit(main())
