"""Benchmark: the composed ROS graph under a camera faster than it can process.

Publishes a synthetic two-person scene at --rate Hz for --seconds (boxes come from an
external-detection topic, the pose model is FastPose-50 COCO-17 with untrained weights:
the cost is the same) and reports output rate, end-to-end latency (image stamp to
tracked poses) at p50/p99, frames dropped, and the process RSS at start and end.
With --offline every frame must come out (deep reliable queues).

The graph against the offline pipeline on a real clip: alphapose_ros.bench.suite.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from alphapose_ros.bench.proc_stats import rss_mb


def pipeline_nodes(common: dict, detector: str, tracking: dict | None = None) -> list:
    """The four stage nodes in this process with the untrained FastPose-50 COCO-17 fixture;
    `common` parameters go to every node."""
    from rclpy.parameter import Parameter

    from alphapose_ros.ros.nodes.detection import DetectionNode
    from alphapose_ros.ros.nodes.pose_estimation import PoseEstimationNode
    from alphapose_ros.ros.nodes.pose_nms import PoseNMSNode
    from alphapose_ros.ros.nodes.tracking import TrackingNode

    import tempfile

    import yaml

    from alphapose_ros.bench.pipeline import FIXTURE_CFG

    cfg = Path(tempfile.gettempdir()) / "alphapose_ros_bench_fastpose50_coco17.yaml"  # rewritten each run
    cfg.write_text(yaml.safe_dump(FIXTURE_CFG))

    def make(cls, name: str, extra: dict):
        return cls(name, parameter_overrides=[Parameter(k, value=v) for k, v in {**common, **extra}.items()])
    return [make(DetectionNode, "detection", {"detector": detector}),
            make(PoseEstimationNode, "pose_estimation", {"pose_config": str(cfg), "allow_untrained": True}),
            make(PoseNMSNode, "pose_nms", {"score_thresh": 0.0}),
            make(TrackingNode, "tracking", tracking or {})]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rate", type=float, default=30.0)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--offline", action="store_true")
    ap.add_argument("--queue-depth", type=int, default=2)
    ap.add_argument("--rss-every", type=float, default=30.0, help="seconds between RSS samples")
    a = ap.parse_args(argv)

    import rclpy
    from builtin_interfaces.msg import Time
    from sensor_msgs.msg import Image
    from std_msgs.msg import Header
    from vision_msgs.msg import Detection2DArray

    from alphapose_ros.core.detectors.base import Detections
    from alphapose_ros.msg import WholeBodyPoseArray
    from alphapose_ros.ros.detection_msgs import detections_to_msg
    from alphapose_ros.core.io.image_msgs import bgr_to_image
    from alphapose_ros.ros.node_utils import make_executor, spin_on_thread
    from alphapose_ros.ros.qos import camera_qos, stage_qos

    from alphapose_ros.harness.graph import scene

    rclpy.init()
    nodes = pipeline_nodes({"offline": a.offline, "queue_depth": a.queue_depth}, "external")
    drv = rclpy.create_node("bench_driver")
    lat, out_times = [], []

    def on_poses(m):
        now = time.time()
        lat.append(now - (m.header.stamp.sec + m.header.stamp.nanosec * 1e-9))
        out_times.append(now)

    drv.create_subscription(WholeBodyPoseArray, "poses", on_poses, stage_qos(a.queue_depth, a.offline))
    img_pub = drv.create_publisher(Image, "image", stage_qos(1, True) if a.offline else camera_qos(1))
    det_pub = drv.create_publisher(Detection2DArray, "detections_in", stage_qos(10, a.offline))
    ex = make_executor(len(nodes) + 1)  # as a node process spins its nodes
    for n in nodes + [drv]:
        ex.add_node(n)
    spinning = spin_on_thread(ex)
    time.sleep(2.0)
    rss0 = rss_mb(os.getpid())
    sent, period, t_end = 0, 1.0 / a.rate, time.monotonic() + a.seconds
    next_t = t_start = time.monotonic()
    rss_series = [(0.0, rss0)]  # RSS every --rss-every seconds: warm-up levels off, a leak keeps climbing
    while time.monotonic() < t_end:
        if time.monotonic() - t_start >= len(rss_series) * a.rss_every:
            rss_series.append((time.monotonic() - t_start, rss_mb(os.getpid())))
        img, boxes = scene(sent % 40, 2)
        now = time.time()
        h = Header(stamp=Time(sec=int(now), nanosec=int((now % 1) * 1e9)), frame_id="camera")
        det_pub.publish(detections_to_msg(Detections(boxes, np.full(2, 0.9), np.zeros(2, np.int64)), h))
        img_pub.publish(bgr_to_image(img, h, Image))
        sent += 1
        next_t += period
        time.sleep(max(0.0, next_t - time.monotonic()))
    drain = time.monotonic() + (120 if a.offline else 5)
    while time.monotonic() < drain and (not a.offline or len(lat) < sent):
        time.sleep(0.2)
    rss1 = rss_mb(os.getpid())
    spinning.clear()
    ex.shutdown()
    lat_ms = np.array(lat) * 1e3
    dur = (out_times[-1] - out_times[0]) if len(out_times) > 1 else float("nan")
    print(f"camera {a.rate:.0f} Hz for {a.seconds:.0f} s ({'offline' if a.offline else f'live, queue depth {a.queue_depth}'}): "
          f"{sent} frames in, {len(lat)} out ({sent - len(lat)} dropped), output {len(lat) / max(dur, 1e-9):.2f} Hz")
    if len(lat):
        print(f"latency image stamp -> tracked poses: p50 {np.percentile(lat_ms, 50):.0f} ms, "
              f"p99 {np.percentile(lat_ms, 99):.0f} ms, max {lat_ms.max():.0f} ms")
        half = len(lat_ms) // 2
        print(f"latency first half p50 {np.median(lat_ms[:half]):.0f} ms vs second half {np.median(lat_ms[half:]):.0f} ms")
    print(f"RSS {rss0:.0f} MB at start, {rss1:.0f} MB at end ({(rss1 / rss0 - 1) * 100:+.1f}%)")
    print("RSS over time: " + ", ".join(f"{t:.0f} s {r:.0f} MB" for t, r in rss_series + [(a.seconds, rss1)]))
    if len(rss_series) > 1:
        print(f"RSS growth after the first {a.rss_every:.0f} s: {(rss1 / rss_series[1][1] - 1) * 100:+.1f}%")
    rclpy.try_shutdown()


if __name__ == "__main__":
    main()
