"""Soak: thousands of frames through the node graph on CPU with a small model, every frame
accounted for, the RSS of every process sampled along the way.

    python -m alphapose_ros.bench.soak --frames 10000 [--composed] [--json soak.json]

The graph is started as the runner starts it (one process per node, or the composed
container) in offline mode (reliable, transient-local queues: nothing may be lost). A
driver publishes a synthetic moving scene (images + external boxes) with unique stamps,
at most --window frames ahead of the tracked poses it has received, and checks that
exactly one tracked message per frame comes back, in order. The pose model is FastPose-50
COCO-17 at 64x48 with untrained weights (the cost of a small model; accuracy is not the
point). Offline publishers keep up to OFFLINE_DEPTH messages for late subscribers, so RSS
is expected to rise until that history is full: growth is judged from --warmup frames on.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from alphapose_ros.bench.proc_stats import rss_mb
from alphapose_ros.harness.graph import graph_commands, scene, start


def growth(samples: list[dict], name: str, since: int) -> float:
    """Relative RSS growth of process `name` from the first sample at or after frame `since`."""
    first = next(s for s in samples if s["frame"] >= since)
    return samples[-1]["rss_mb"][name] / first["rss_mb"][name] - 1.0


def run(frames: int, composed: bool = False, people: int = 2, window: int = 8, sample_every: int = 500,
        warmup: int = 1500, domain_id: int | None = None, workdir: Path | None = None,
        startup_timeout: float = 120.0, progress: bool = False) -> dict:
    """Drive `frames` frames through the graph; returns counts, order check and RSS samples."""
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from sensor_msgs.msg import Image
    from vision_msgs.msg import Detection2DArray

    from alphapose_ros.core.detectors.base import Detections
    from alphapose_ros.core.io.image_msgs import bgr_to_image
    from alphapose_ros.msg import WholeBodyPoseArray
    from alphapose_ros.ros.conversions import header_at
    from alphapose_ros.ros.detection_msgs import detections_to_msg
    from alphapose_ros.ros.qos import stage_qos
    from alphapose_ros.ros.runner import stop_processes
    from alphapose_ros.ros.sync import stamp_key

    workdir = Path(workdir or tempfile.mkdtemp(prefix="alphapose_soak_"))
    domain = domain_id if domain_id is not None else 150 + os.getpid() % 80
    env = dict(os.environ, ROS_DOMAIN_ID=str(domain))
    cmds = graph_commands(workdir, composed)
    names = list(cmds)
    procs = [start(n, c, workdir, env) for n, c in cmds.items()]
    ctx = rclpy.Context()
    rclpy.init(context=ctx, domain_id=domain)
    node = rclpy.create_node("soak_driver", context=ctx)
    got: list[tuple[int, int]] = []
    ids_seen: set[int] = set()

    def on_poses(m) -> None:
        got.append(stamp_key(m.header))
        ids_seen.update(int(p.track_id) for p in m.poses)

    node.create_subscription(WholeBodyPoseArray, "poses", on_poses, stage_qos(1, offline=True))
    img_pub = node.create_publisher(Image, "image", stage_qos(1, offline=True))
    det_pub = node.create_publisher(Detection2DArray, "detections_in", stage_qos(1, offline=True))
    ex = SingleThreadedExecutor(context=ctx)
    ex.add_node(node)
    threading.Thread(target=ex.spin, daemon=True).start()
    pids = {n: pr.pid for n, pr in zip(names, procs)} | {"driver": os.getpid()}
    samples: list[dict] = []

    def sample(frame: int) -> None:
        samples.append({"frame": frame, "t": round(time.monotonic() - t0, 1),
                        "rss_mb": {n: round(rss_mb(pid), 1) for n, pid in pids.items()}})
        if progress:
            print(f"frame {frame} ({len(got)} back) at {samples[-1]['t']} s, RSS MB: "
                  + ", ".join(f"{n} {v}" for n, v in samples[-1]["rss_mb"].items()), flush=True)

    sent, t0, failure = [], time.monotonic(), ""
    try:
        deadline = time.monotonic() + startup_timeout
        while (img_pub.get_subscription_count() < 1 or det_pub.get_subscription_count() < 1
               or node.count_publishers("poses") < 1):
            if time.monotonic() > deadline or any(pr.poll() is not None for pr in procs):
                raise RuntimeError(f"the graph did not come up (logs in {workdir})")
            time.sleep(0.2)
        time.sleep(2.0)  # let the managed nodes activate
        t0 = time.monotonic()
        sample(0)
        for f in range(frames):
            while len(sent) - len(got) >= window:
                if any(pr.poll() is not None for pr in procs):
                    raise RuntimeError(f"a graph process exited (logs in {workdir})")
                if time.monotonic() - t0 > 60 + 2.0 * max(1, f):  # nothing moves: give up
                    raise RuntimeError(f"stalled at frame {f} ({len(got)} received; logs in {workdir})")
                time.sleep(0.002)
            img, boxes = scene(f, people)
            stamp = 1000.0 + f / 30.0
            h = header_at(stamp, "soak_camera")
            det_pub.publish(detections_to_msg(Detections(boxes, np.full(len(boxes), 0.9, np.float32),
                                                         np.zeros(len(boxes), np.int64)), h))
            img_pub.publish(bgr_to_image(img, h, Image))
            sent.append(stamp_key(h))
            if (f + 1) % sample_every == 0 or f + 1 == warmup:
                sample(f + 1)
        deadline = time.monotonic() + 60
        while len(got) < len(sent) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # anything extra (a duplicate) would arrive now
        sample(frames)
    except RuntimeError as e:
        failure = str(e)
    finally:
        elapsed = time.monotonic() - t0
        ex.shutdown()
        node.destroy_node()
        rclpy.try_shutdown(context=ctx)
        stop_processes(procs, 15)
    result = {"frames_sent": len(sent), "frames_received": len(got), "in_order": got == sent[:len(got)],
              "lost": len(set(sent) - set(got)), "duplicates": len(got) - len(set(got)),
              "track_ids": len(ids_seen), "people": people, "seconds": round(elapsed, 1),
              "fps": round(len(got) / max(elapsed, 1e-9), 2), "composed": composed, "warmup": warmup,
              "samples": samples, "failure": failure, "logs": str(workdir)}
    if samples and samples[-1]["frame"] >= warmup and not failure:
        result["rss_growth_after_warmup"] = {n: round(growth(samples, n, warmup), 4) for n in pids}
    result["rss_growth_from_start"] = ({n: round(samples[-1]["rss_mb"][n] / samples[0]["rss_mb"][n] - 1, 4)
                                        for n in pids} if len(samples) > 1 else {})
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=10000)
    ap.add_argument("--composed", action="store_true", help="one container process instead of one per node")
    ap.add_argument("--people", type=int, default=2)
    ap.add_argument("--window", type=int, default=8, help="frames in flight at most")
    ap.add_argument("--sample-every", type=int, default=500, help="RSS sample period in frames")
    ap.add_argument("--warmup", type=int, default=1500,
                    help="frames before the RSS baseline (offline queue histories fill up first)")
    ap.add_argument("--json", default="", help="write the result here")
    a = ap.parse_args(argv)
    r = run(a.frames, a.composed, a.people, a.window, a.sample_every, a.warmup, progress=True)
    if a.json:
        Path(a.json).write_text(json.dumps(r, indent=1))
    print(f"{'composed' if a.composed else 'separate processes'}: {r['frames_sent']} frames sent, "
          f"{r['frames_received']} received, {r['lost']} lost, {r['duplicates']} duplicates, "
          f"in order: {r['in_order']}, {r['fps']} frames/s over {r['seconds']} s, {r['track_ids']} track IDs")
    if r["failure"]:
        print(f"FAILED: {r['failure']}")
    names = list(r["samples"][0]["rss_mb"]) if r["samples"] else []
    print("frame  " + "  ".join(f"{n:>15}" for n in names) + "   (RSS MB)")
    for s in r["samples"]:
        print(f"{s['frame']:5d}  " + "  ".join(f"{s['rss_mb'][n]:15.1f}" for n in names))
    for key in ("rss_growth_from_start", "rss_growth_after_warmup"):
        if r.get(key):
            print(f"{key}: " + ", ".join(f"{n} {g * 100:+.1f}%" for n, g in r[key].items()))
    ok = not r["failure"] and r["lost"] == 0 and r["duplicates"] == 0 and r["in_order"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
