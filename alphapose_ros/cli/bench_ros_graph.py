"""Benchmark: the composed ROS graph under a camera faster than it can process.

Publishes a synthetic two-person scene at --rate Hz for --seconds (boxes come from an
external-detection topic, the pose model is FastPose-50 COCO-17 with untrained weights:
the cost is the same) and reports output rate, end-to-end latency (image stamp to
tracked poses) at p50/p99, frames dropped, and the process RSS at start and end.
With --offline every frame must come out (deep reliable queues).

With --clip N: the first N frames of vtest.avi, HOG detection inside the detection node,
compared with the offline pipeline (alphapose_ros.core.pipeline) on the same frames and
models: throughput of both (every frame, reliable queues) and the graph's end-to-end
latency when the camera runs at 90% of that throughput.
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np

from alphapose_ros.cli.soak import rss_mb


def pipeline_nodes(common: dict, detector: str, tracking: dict | None = None) -> list:
    """The four stage nodes in this process with the untrained FastPose-50 COCO-17 fixture;
    `common` parameters go to every node."""
    from rclpy.parameter import Parameter

    from alphapose_ros.ros.nodes.detection import DetectionNode
    from alphapose_ros.ros.nodes.pose_estimation import PoseEstimationNode
    from alphapose_ros.ros.nodes.pose_nms import PoseNMSNode
    from alphapose_ros.ros.nodes.tracking import TrackingNode

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "test" / "ros"))
    from graph_fixture import FIXTURE_CFG

    def make(cls, name: str, extra: dict):
        return cls(name, parameter_overrides=[Parameter(k, value=v) for k, v in {**common, **extra}.items()])
    return [make(DetectionNode, "detection", {"detector": detector}),
            make(PoseEstimationNode, "pose_estimation", {"pose_config": FIXTURE_CFG, "allow_untrained": True}),
            make(PoseNMSNode, "pose_nms", {"heatmap_head": True, "score_thresh": 0.0}),
            make(TrackingNode, "tracking", tracking or {})]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rate", type=float, default=30.0)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--offline", action="store_true")
    ap.add_argument("--queue-depth", type=int, default=2)
    ap.add_argument("--rss-every", type=float, default=30.0, help="seconds between RSS samples")
    ap.add_argument("--executor-threads", type=int, default=5, help="--clip: executor threads (one per node)")
    ap.add_argument("--clip", type=int, default=0, help="compare with the offline pipeline on N vtest.avi frames")
    a = ap.parse_args(argv)
    if a.clip:
        return compare_with_offline(a.clip, a.executor_threads)

    import rclpy
    from builtin_interfaces.msg import Time
    from rclpy.executors import MultiThreadedExecutor
    from sensor_msgs.msg import Image
    from std_msgs.msg import Header
    from vision_msgs.msg import Detection2DArray

    from alphapose_ros.core.detectors.base import Detections
    from alphapose_ros.msg import WholeBodyPoseArray
    from alphapose_ros.ros.detection_msgs import detections_to_msg
    from alphapose_ros.core.io.image_msgs import bgr_to_image
    from alphapose_ros.ros.qos import camera_qos, stage_qos

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "test" / "ros"))
    from graph_fixture import scene

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
    ex = MultiThreadedExecutor(num_threads=6)
    for n in nodes + [drv]:
        ex.add_node(n)
    threading.Thread(target=ex.spin, daemon=True).start()
    time.sleep(2.0)
    rss0 = rss_mb(os.getpid())
    sent, period, t_end = 0, 1.0 / a.rate, time.monotonic() + a.seconds
    next_t = t_start = time.monotonic()
    rss_series = [(0.0, rss0)]  # RSS every --rss-every seconds: warm-up levels off, a leak keeps climbing
    while time.monotonic() < t_end:
        if time.monotonic() - t_start >= len(rss_series) * a.rss_every:
            rss_series.append((time.monotonic() - t_start, rss_mb(os.getpid())))
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
    rss1 = rss_mb(os.getpid())
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


def compare_with_offline(n_frames: int, threads: int = 5) -> dict:
    """Offline pipeline vs composed graph on the same clip, detector (HOG) and pose model."""
    import rclpy
    from rclpy.executors import MultiThreadedExecutor
    from sensor_msgs.msg import Image

    from alphapose_ros.cli.bench_detectors import FOOTAGE, read_frames
    from alphapose_ros.core.detectors.hog import HogDetector
    from alphapose_ros.core.estimator import PoseEstimator
    from alphapose_ros.core.io.image_msgs import bgr_to_image
    from alphapose_ros.core.pipeline import Frame, FramePipeline, PoseNMSConfig
    from alphapose_ros.core.pose_nms import PoseNMSParams
    from alphapose_ros.core.tracking.msim import MSIMTracker
    from alphapose_ros.msg import WholeBodyPoseArray
    from alphapose_ros.ros.qos import stage_qos

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "test" / "ros"))
    from graph_fixture import FIXTURE_CFG, header

    frames = read_frames(FOOTAGE, n_frames)
    est = PoseEstimator.from_files(FIXTURE_CFG, None, batch_size=16, torchscript=True)  # the node's defaults
    nms = PoseNMSConfig("parametric", PoseNMSParams.for_layout(17, True, score_thresh=0.0))
    res = {}
    for concurrent in (False, True):
        pipe = FramePipeline(est, HogDetector(), nms, MSIMTracker())
        list(pipe.run([Frame("w", 0, frames[0])], concurrent=False))  # warm-up
        t = time.perf_counter()
        list(pipe.run((Frame(str(i), i / 10, f) for i, f in enumerate(frames)), 4, concurrent))
        res["offline_pipelined" if concurrent else "offline_sequential"] = len(frames) / (time.perf_counter() - t)
        print(f"  offline {'pipelined' if concurrent else 'sequential'}: {len(frames) / (time.perf_counter() - t):.2f} "
              "frames/s", flush=True)

    def graph_run(rate: float | None) -> tuple[float, np.ndarray]:
        """(frames/s from first publish to last output, latencies ms); rate None = all at once."""
        rclpy.init()
        nodes = pipeline_nodes({"offline": True}, "hog", {"frame_rate": 10.0})
        drv = rclpy.create_node("bench_driver")
        sent_at, lat = {}, []
        done = threading.Event()

        def on_poses(m):
            key = (m.header.stamp.sec, m.header.stamp.nanosec)
            lat.append(time.perf_counter() - sent_at[key])
            if len(lat) == len(frames):
                done.set()
        drv.create_subscription(WholeBodyPoseArray, "poses", on_poses, stage_qos(1, True))
        pub = drv.create_publisher(Image, "image", stage_qos(1, True))
        ex = MultiThreadedExecutor(num_threads=threads)
        for nd in nodes + [drv]:
            ex.add_node(nd)
        threading.Thread(target=ex.spin, daemon=True).start()
        time.sleep(1.0)
        warm = bgr_to_image(frames[0], header(10_000), Image)  # warm-up frame, not counted
        sent_at[(warm.header.stamp.sec, warm.header.stamp.nanosec)] = time.perf_counter()
        pub.publish(warm)
        t_warm = time.perf_counter()
        while not lat:
            if time.perf_counter() - t_warm > 60:
                raise RuntimeError("the graph produced no output for the warm-up frame in 60 s")
            time.sleep(0.05)
        lat.clear()
        t0 = time.perf_counter()
        for i, f in enumerate(frames):
            m = bgr_to_image(f, header(i), Image)
            sent_at[(m.header.stamp.sec, m.header.stamp.nanosec)] = time.perf_counter()
            pub.publish(m)
            if rate:
                time.sleep(max(0.0, t0 + (i + 1) / rate - time.perf_counter()))
        done.wait(300)
        fps = len(lat) / (time.perf_counter() - t0)
        ex.shutdown()
        for nd in nodes + [drv]:
            nd.destroy_node()
        rclpy.shutdown()
        return fps, np.array(lat) * 1e3

    res["graph_composed"], _ = graph_run(None)
    _, lat = graph_run(0.9 * res["graph_composed"])
    res["graph_latency_ms_p50"] = float(np.percentile(lat, 50))
    res["graph_latency_ms_p99"] = float(np.percentile(lat, 99))
    best = max(res["offline_sequential"], res["offline_pipelined"])
    print(f"vtest.avi x{len(frames)}, HOG + FastPose-50 COCO-17 (untrained, TorchScript, pose batch 16), CPU:")
    print(f"  offline sequential {res['offline_sequential']:.2f} frames/s, pipelined {res['offline_pipelined']:.2f}")
    print(f"  ROS graph (one process, every frame) {res['graph_composed']:.2f} frames/s = "
          f"{res['graph_composed'] / best:.2f}x the better offline figure")
    print(f"  graph latency (image publish -> tracked poses) at {0.9 * res['graph_composed']:.2f} Hz: "
          f"p50 {res['graph_latency_ms_p50']:.0f} ms, p99 {res['graph_latency_ms_p99']:.0f} ms")
    return res


if __name__ == "__main__":
    main()
