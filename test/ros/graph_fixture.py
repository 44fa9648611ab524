"""A synthetic moving scene for node-graph tests: two people walking in opposite
directions, published as images on `image` and their boxes on `detections_in`."""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np
from std_msgs.msg import Header

from alphapose_ros.core.detectors.base import Detections
from alphapose_ros.ros.conversions import header_at

FIXTURE_CFG = __file__.replace("graph_fixture.py", "fixtures/fastpose_coco17.yaml")


def scene(frame: int, w: int = 320, h: int = 240):
    """(BGR image, person boxes (2,4)) of frame `frame`: A walks right, B walks left."""
    img = np.full((h, w, 3), 30, np.uint8)
    boxes = []
    for x in (40 + 6 * frame, 260 - 6 * frame):
        b = [x - 20, 60, x + 20, 200]
        img[b[1]:b[3], b[0]:b[2]] = (90, 140, 200)
        boxes.append(b)
    return img, np.array(boxes, np.float32)


def header(frame: int, frame_id: str = "test_camera_optical") -> Header:
    return header_at(100.0 + frame / 10.0, frame_id)


def messages(frame: int):
    """(Image, Detection2DArray) for a frame, sharing one header."""
    from sensor_msgs.msg import Image

    from alphapose_ros.ros.detection_msgs import detections_to_msg
    from alphapose_ros.core.io.image_msgs import bgr_to_image

    img, boxes = scene(frame)
    h = header(frame)
    det = Detections(boxes, np.array([0.9, 0.8], np.float32), np.zeros(2, np.int64))
    return bgr_to_image(img, h, Image), detections_to_msg(det, h)


def node_parameters() -> dict:
    return {"detection": {"detector": "external", "offline": True},
            "pose_estimation": {"pose_config": FIXTURE_CFG, "allow_untrained": True, "offline": True,
                                "pose_batch": 4},
            # untrained weights give low keypoint scores: keep every merged pose
            "pose_nms": {"offline": True, "score_thresh": 0.0},
            "tracking": {"offline": True, "frame_rate": 10.0},
            "visualizer": {"offline": True, "min_score": 0.0}}


@contextmanager
def pose_node_harness(domain_id: int, **overrides):
    """A pose_estimation node (offline fixture parameters + overrides) spinning beside a driver
    node that publishes `image`/`detections` and collects `poses_raw`. Yields a namespace with
    pose, got, img_pub, det_pub; everything is shut down afterwards."""
    import threading
    from types import SimpleNamespace

    import rclpy
    from rclpy.executors import MultiThreadedExecutor
    from rclpy.parameter import Parameter
    from sensor_msgs.msg import Image
    from vision_msgs.msg import Detection2DArray

    from alphapose_ros.msg import WholeBodyPoseArray
    from alphapose_ros.ros.nodes.pose_estimation import PoseEstimationNode
    from alphapose_ros.ros.qos import stage_qos

    ctx = rclpy.Context()
    rclpy.init(context=ctx, domain_id=domain_id)
    params = {**node_parameters()["pose_estimation"], **overrides}
    pose = PoseEstimationNode("pose_estimation", context=ctx,
                              parameter_overrides=[Parameter(k, value=v) for k, v in params.items()])
    driver = rclpy.create_node("pose_test_driver", context=ctx)
    got: list = []
    # offline: a late-joining reader still gets everything; live: what a live reader gets
    driver.create_subscription(WholeBodyPoseArray, "poses_raw", got.append, stage_qos(10, offline=params["offline"]))
    h = SimpleNamespace(pose=pose, got=got,
                        img_pub=driver.create_publisher(Image, "image", stage_qos(1, offline=True)),
                        det_pub=driver.create_publisher(Detection2DArray, "detections", stage_qos(1, offline=True)))
    ex = MultiThreadedExecutor(num_threads=2, context=ctx)
    ex.add_node(pose)
    ex.add_node(driver)
    threading.Thread(target=ex.spin, daemon=True).start()
    try:
        yield h
    finally:
        ex.shutdown()
        pose.destroy_node()
        driver.destroy_node()
        rclpy.try_shutdown(context=ctx)


def feed_frames(h, frames: int, timeout: float = 60.0) -> list:
    """Publish `frames` fixture frames (image + detections) through a pose_node_harness and wait until as
    many pose messages came back (or `timeout` s passed); returns them."""
    import time

    from sensor_msgs.msg import Image

    for f in range(frames):
        for m in messages(f):
            (h.img_pub if isinstance(m, Image) else h.det_pub).publish(m)
    deadline = time.monotonic() + timeout
    while len(h.got) < frames and time.monotonic() < deadline:
        time.sleep(0.05)
    return h.got
