"""The detection node's schedule: live, a worker detects the newest image at most every min_interval s of
image time, on a thread that yields the CPU to the pose stage; offline, every image gets its boxes."""
import os
import sys
import threading
import time
from pathlib import Path

import cv2
import pytest

pytestmark = pytest.mark.ros
sys.path.insert(0, str(Path(__file__).parent))


def _run(footage, domain: int, offline: bool, stamps: list[float], **params) -> tuple[list, object]:
    """A detection node (hog) fed real frames stamped `stamps` s, 0.1 s apart in wall time; returns the
    stamps (s) of the detections it published and the node."""
    import rclpy
    from rclpy.executors import MultiThreadedExecutor
    from rclpy.parameter import Parameter
    from sensor_msgs.msg import Image
    from vision_msgs.msg import Detection2DArray

    from alphapose_ros.core.io.image_msgs import bgr_to_image
    from alphapose_ros.ros.conversions import stamp_seconds
    from alphapose_ros.ros.nodes.detection import DetectionNode
    from alphapose_ros.ros.qos import stage_qos
    from graph_fixture import header

    cap = cv2.VideoCapture(str(footage / "vtest.avi"))
    frame = cv2.resize(cap.read()[1], (384, 288))
    ctx = rclpy.Context()
    rclpy.init(context=ctx, domain_id=domain)
    node = DetectionNode("detection", context=ctx, parameter_overrides=[
        Parameter("detector", value="hog"), Parameter("offline", value=offline),
        *(Parameter(k, value=v) for k, v in params.items())])
    driver = rclpy.create_node("detection_test_driver", context=ctx)
    got = []
    driver.create_subscription(Detection2DArray, "detections", lambda m: got.append(stamp_seconds(m.header)),
                               stage_qos(50, offline=offline))
    pub = driver.create_publisher(Image, "image", stage_qos(1, offline=True))
    ex = MultiThreadedExecutor(num_threads=2, context=ctx)
    ex.add_node(node)
    ex.add_node(driver)
    threading.Thread(target=ex.spin, daemon=True).start()
    try:
        deadline = time.monotonic() + 30
        while pub.get_subscription_count() < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        def publish(t: float) -> None:
            h = header(0)
            h.stamp.sec, h.stamp.nanosec = int(t), int(round((t % 1) * 1e9))
            pub.publish(bgr_to_image(frame, h, Image))

        # a warm-up image (1 s before the first) until one is detected: the camera subscription is re-made
        # to match the publisher's reliability, and an image sent meanwhile can be missed
        deadline = time.monotonic() + 20
        while not got and time.monotonic() < deadline:
            publish(stamps[0] - 1.0)
            time.sleep(0.5)
        time.sleep(0.5)
        got.clear()
        for t in stamps:
            publish(t)
            time.sleep(0.1)
        deadline = time.monotonic() + 20
        want = len(stamps) if offline else 2  # live: the first image and at least one after min_interval
        while len(got) < want and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        worker = node._worker
        nice = os.getpriority(os.PRIO_PROCESS, worker.native_id) if worker is not None else None
        return list(got), nice
    finally:
        ex.shutdown()
        node.destroy_node()
        driver.destroy_node()
        rclpy.try_shutdown(context=ctx)


def test_live_detector_runs_on_the_newest_image_at_most_every_min_interval_at_a_lower_priority(
        vision_msgs, footage):
    base = os.getpriority(os.PRIO_PROCESS, 0)
    stamps = [100 + 0.1 * i for i in range(12)]
    got, nice = _run(footage, 60 + os.getpid() % 30, False, stamps, min_interval=0.5, nice=5, threads=1)
    assert got and got[0] == pytest.approx(stamps[0])
    gaps = [b - a for a, b in zip(got, got[1:])]
    assert all(g >= 0.5 - 1e-6 for g in gaps) and 2 <= len(got) <= 3  # 1.1 s of images: 100.0, 100.5(+), 101.0(+)
    assert nice == min(19, base + 5)  # the detector's thread, not the process, yields the CPU
    assert os.getpriority(os.PRIO_PROCESS, 0) == base


def test_offline_every_image_gets_its_detections_whatever_min_interval(vision_msgs, footage):
    stamps = [200 + 0.1 * i for i in range(5)]
    got, _ = _run(footage, 90 + os.getpid() % 30, True, stamps, min_interval=0.5)
    assert got == pytest.approx(stamps)
