"""Benchmark: the composed ROS graph under a camera faster than it can process.

Publishes a synthetic two-person scene at --rate Hz for --seconds (boxes come from an
external-detection topic, the pose model is FastPose-50 COCO-17 with untrained weights:
the cost is the same) and reports output rate, end-to-end latency (image stamp to
tracked poses) at p50/p99, frames dropped, and the process RSS at start and end.
With --offline every frame must come out (deep reliable queues).
"""
from __future__ import annotations

import argparse
import resource
import sys
import threading
import time
from pathlib import Path

import numpy as np


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rate", type=float, default=30.0)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--offline", action="store_true")
    ap.add_argument("--queue-depth", type=int, default=2)
    a = ap.parse_args(argv)

    import rclpy
    from builtin_interfaces.msg import Time
    from rclpy.executors import MultiThreadedExecutor
    from rclpy.parameter import Parameter
    from sensor_msgs.msg import Image
    from std_msgs.msg import Header
    from vision_msgs.msg import Detection2DArray

    from alphapose_ros.core.detectors.base import Detections
    from alphapose_ros.msg import WholeBodyPoseArray
    from alphapose_ros.ros.detection_msgs import detections_to_msg
    from alphapose_ros.core.io.image_msgs import bgr_to_image
    from alphapose_ros.ros.nodes.detection import DetectionNode
    from alphapose_ros.ros.nodes.pose_estimation import PoseEstimationNode
    from alphapose_ros.ros.nodes.pose_nms import PoseNMSNode
    from alphapose_ros.ros.nodes.tracking import TrackingNode
    from alphapose_ros.ros.qos import camera_qos, stage_qos

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "test" / "ros"))
    from graph_fixture import FIXTURE_CFG, scene

    rclpy.init()
    common = {"offline": a.offline, "queue_depth": a.queue_depth}
    mk = lambda cls, name, extra: cls(name, parameter_overrides=[Parameter(k, value=v) for k, v in {**common, **extra}.items()])  # noqa: E731
    nodes = [mk(DetectionNode, "detection", {"detector": "external"}),
             mk(PoseEstimationNode, "pose_estimation", {"pose_config": FIXTURE_CFG, "allow_untrained": True}),
             mk(PoseNMSNode, "pose_nms", {"heatmap_head": True, "score_thresh": 0.0}),
             mk(TrackingNode, "tracking", {})]
    drv = rclpy.create_node("bench_driver")
    lat, out_times = [], []

    def on_poses(m):
        now = time.time()
        lat.append(now - (m.header.stamp.sec + m.header.stamp.nanosec * 1e-9))
        out_times.append(now)

    drv.create_subscription(WholeBodyPoseArray, "poses", on_poses, stage_qos(a.queue_depth, a.offline))
    img_pub = drv.create_publisher(Image, "image", stage_qos(1, True) if a.offline else camera_qos(1))
    det_pub = drv.create_publisher(Detection2DArray, "detections_in", stage_qos(10, a.offline))
    ex = MultiThreadedExecutor(num_threads=6)
    for n in nodes + [drv]:
        ex.add_node(n)
    threading.Thread(target=ex.spin, daemon=True).start()
    time.sleep(2.0)
    rss0 = rss_mb()
    sent, period, t_end = 0, 1.0 / a.rate, time.monotonic() + a.seconds
    next_t = time.monotonic()
    while time.monotonic() < t_end:
        img, boxes = scene(sent % 40)
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
    rss1 = rss_mb()
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
    rclpy.try_shutdown()


if __name__ == "__main__":
    main()
