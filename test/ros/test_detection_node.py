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


def _run(footage, domain: int, offline: bool, stamps: list[float], until=None, **params) -> tuple[list, object, object]:
    """A detection node (hog unless `detector` is given) fed real frames stamped `stamps` s, 0.1 s apart in wall
    time (then more, each 0.5 s later, until `until(node)`; appended to `stamps`); returns the stamps (s) of
    the detections it published, its worker's nice value and its detector at the end."""
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
        Parameter("offline", value=offline), *(Parameter(k, value=v) for k, v in {"detector": "hog", **params}.items())])
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
        deadline = time.monotonic() + 120
        while until is not None and not until(node) and time.monotonic() < deadline:  # more frames, a stream
            stamps.append(stamps[-1] + 0.5)
            publish(stamps[-1])
            time.sleep(0.2)
        deadline = time.monotonic() + 20
        want = len(stamps) if offline else 2  # live: the first image and at least one after min_interval
        while len(got) < want and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        worker = node._worker
        nice = os.getpriority(os.PRIO_PROCESS, worker.native_id) if worker is not None else None
        return list(got), nice, node.detector
    finally:
        ex.shutdown()
        node.destroy_node()
        driver.destroy_node()
        rclpy.try_shutdown(context=ctx)


def test_live_detector_runs_on_the_newest_image_at_most_every_min_interval_at_a_lower_priority(
        vision_msgs, footage):
    base = os.getpriority(os.PRIO_PROCESS, 0)
    stamps = [100 + 0.1 * i for i in range(12)]
    got, nice, _ = _run(footage, 60 + os.getpid() % 30, False, stamps, min_interval=0.5, nice=5, threads=1)
    assert got and got[0] == pytest.approx(stamps[0])
    gaps = [b - a for a, b in zip(got, got[1:])]
    assert all(g >= 0.5 - 1e-6 for g in gaps) and 2 <= len(got) <= 3  # 1.1 s of images: 100.0, 100.5(+), 101.0(+)
    assert nice == min(19, base + 5)  # the detector's thread, not the process, yields the CPU
    assert os.getpriority(os.PRIO_PROCESS, 0) == base


def test_live_a_detector_capped_at_a_twentieth_of_the_time_waits_twenty_runs_between_runs(vision_msgs, footage):
    """max_duty: with no min_interval a run of d s makes the next wait d / max_duty s of image time (a HOG run
    here takes well over 10 ms, so at 0.05 over 0.2 s); uncapped, the worker takes most of the 0.1-s images."""
    stamps = [300 + 0.1 * i for i in range(12)]
    capped, _, _ = _run(footage, 30 + os.getpid() % 30, False, list(stamps), min_interval=0.0, max_duty=0.05)
    free, _, _ = _run(footage, 30 + os.getpid() % 30, False, list(stamps), min_interval=0.0, max_duty=1.0)
    assert all(b - a >= 0.2 - 1e-6 for a, b in zip(capped, capped[1:]))
    assert len(free) > len(capped) and len(free) >= 3


def test_offline_every_image_gets_its_detections_whatever_min_interval(vision_msgs, footage):
    stamps = [200 + 0.1 * i for i in range(5)]
    got, _, _ = _run(footage, 90 + os.getpid() % 30, True, stamps, min_interval=0.5)
    assert got == pytest.approx(stamps)


def test_a_yolo_detector_goes_int8_after_its_first_frames_and_every_frame_keeps_its_boxes(footage, tmp_path,
                                                                                         monkeypatch):
    """int8:=first_use with YOLOX-nano (random weights in its release layout: the path, not accuracy): the first
    int8_frames images calibrate an INT8 copy in the background, the node switches to it, every image (offline)
    still gets its detections."""
    import torch

    from alphapose_ros.core.detectors.yolox_net import YoloxNet

    monkeypatch.setenv("ALPHAPOSE_ROS_CACHE", str(tmp_path))
    torch.manual_seed(0)
    weights = tmp_path / "yolox_nano.pth"
    torch.save({"model": YoloxNet("yolox-nano").state_dict()}, weights)
    stamps = [10.0 + 0.5 * i for i in range(12)]
    got, _, det = _run(footage, 120 + os.getpid() % 30, True, stamps, detector="yolox-nano", weights=str(weights),
                       int8="first_use", int8_frames=2, until=lambda node: node.int8.done)
    assert got == stamps
    assert det.runtime is not None and len(list((tmp_path / "engines").glob("yolox-nano_*_int8.onnx"))) == 1
