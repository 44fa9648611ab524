"""A depth camera and a pose source in front of the keypoints_3d node: its process started with parameters,
publishers of camera_info, depth (raw or compressedDepth) and tracked poses, subscribers of its 3D outputs,
all in a private rclpy context."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import numpy as np


class Driver:
    """Camera, depth and pose publishers and the 3D output subscribers, in a private rclpy context."""

    def __init__(self, domain: int, compressed: bool = False):
        import rclpy
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.qos import QoSProfile, ReliabilityPolicy
        from sensor_msgs.msg import CameraInfo, CompressedImage, Image
        from vision_msgs.msg import Detection3DArray

        from alphapose_ros.msg import WholeBodyPoseArray
        from alphapose_ros.ros.qos import stage_qos

        self.ctx = rclpy.Context()
        rclpy.init(context=self.ctx, domain_id=domain)
        self.node = rclpy.create_node("rgbd_camera", context=self.ctx)
        reliable = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self.info_pub = self.node.create_publisher(CameraInfo, "camera_info", reliable)
        self.depth_pub = self.node.create_publisher(*(((CompressedImage, "depth/compressedDepth") if compressed
                                                       else (Image, "depth"))), reliable)
        self.poses_pub = self.node.create_publisher(WholeBodyPoseArray, "poses", stage_qos(10, True))
        self.got: dict = {}
        self.people: dict = {}
        self.unsmoothed: dict = {}
        self.lock = threading.Lock()
        self.node.create_subscription(WholeBodyPoseArray, "poses_3d", lambda m: self._put(self.got, m),
                                      stage_qos(10, True))
        self.node.create_subscription(WholeBodyPoseArray, "poses_3d_unsmoothed",
                                      lambda m: self._put(self.unsmoothed, m), stage_qos(10, True))
        self.node.create_subscription(Detection3DArray, "people_3d", lambda m: self._put(self.people, m),
                                      stage_qos(10, True))
        from tf2_msgs.msg import TFMessage

        from alphapose_ros.ros.tf_listener import TF_QOS, TF_STATIC_QOS

        self.tf_pub = self.node.create_publisher(TFMessage, "/tf", TF_QOS)
        self.tf_static_pub = self.node.create_publisher(TFMessage, "/tf_static", TF_STATIC_QOS)
        self.tf_got: list = []  # what arrives on /tf from others (the node's body frames)
        self.node.create_subscription(TFMessage, "/tf", lambda m: self.tf_got.extend(
            t for t in m.transforms if t.child_frame_id.startswith("body_")), TF_QOS)
        self.ex = SingleThreadedExecutor(context=self.ctx)
        self.ex.add_node(self.node)
        self.spinner = threading.Thread(target=self.ex.spin, daemon=True)
        self.spinner.start()

    def _put(self, store: dict, msg) -> None:
        with self.lock:
            store[(msg.header.stamp.sec, msg.header.stamp.nanosec)] = msg

    def wait_for_node(self, proc: subprocess.Popen, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        while (self.depth_pub.get_subscription_count() < 1 or self.info_pub.get_subscription_count() < 1
               or self.poses_pub.get_subscription_count() < 1 or self.node.count_publishers("poses_3d") < 1):
            if time.monotonic() > deadline or proc.poll() is not None:
                return False
            time.sleep(0.1)
        time.sleep(1.5)  # the node re-subscribes to match our reliable publishers (checked every 0.5 s)
        return True

    def send(self, header, info, depth, poses, timeout: float = 20.0, want_people: bool = True):
        """Publish one frame (info or depth None: not published); return its (poses_3d, people_3d) messages
        (None where none came)."""
        key = (header.stamp.sec, header.stamp.nanosec)
        for pub, msg in ((self.info_pub, info), (self.depth_pub, depth), (self.poses_pub, poses)):
            if msg is not None:
                pub.publish(msg)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if key in self.got and (key in self.people or not want_people):
                    return self.got[key], self.people.get(key)
            time.sleep(0.01)
        with self.lock:
            return self.got.get(key), self.people.get(key)

    def close(self) -> None:
        import rclpy

        self.ex.shutdown()
        self.spinner.join(5)
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.ctx)


def camera_info_msg(intr, header):
    from sensor_msgs.msg import CameraInfo

    m = CameraInfo(header=header, width=intr.width, height=intr.height, distortion_model="plumb_bob")
    m.k = [intr.fx, 0.0, intr.cx, 0.0, intr.fy, intr.cy, 0.0, 0.0, 1.0]
    m.d = list(intr.dist) or [0.0] * 5
    m.p = [intr.fx, 0.0, intr.cx, 0.0, 0.0, intr.fy, intr.cy, 0.0, 0.0, 0.0, 1.0, 0.0]
    return m


def depth_msg(depth_mm: np.ndarray, header):
    from sensor_msgs.msg import Image

    h, w = depth_mm.shape
    return Image(header=header, height=h, width=w, encoding="16UC1", is_bigendian=0, step=2 * w,
                 data=depth_mm.tobytes())


def node_command(*params: str) -> list[str]:
    """The keypoints_3d node, offline, exact stamps, and these extra `name:=value` parameters."""
    from alphapose_ros.ros.runner import executables_dir

    return [sys.executable, str(executables_dir() / "keypoints_3d_node"), "--ros-args",
            *(a for p in ("offline:=true", "depth_slop:=0.0", *params) for a in ("-p", p))]


@contextmanager


def node_and_driver(domain: int, log_path: str = os.devnull, compressed: bool = False, params: tuple = ()):
    """A keypoints_3d node process (its output to `log_path`, these extra `name:=value` parameters) and a Driver
    beside it on `domain`; with `compressed`, depth goes as image_transport's compressedDepth."""
    env = dict(os.environ, ROS_DOMAIN_ID=str(domain))
    with open(log_path, "w") as log:
        proc = subprocess.Popen(node_command(*(["compressed:=true"] if compressed else []), *params), env=env,
                                stdout=log, stderr=subprocess.STDOUT)
    driver = Driver(domain, compressed)
    try:
        if not driver.wait_for_node(proc):
            raise RuntimeError(f"the keypoints_3d node did not come up (exit code {proc.poll()})")
        yield driver
    finally:
        driver.close()
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def frame_poses(keypoints: np.ndarray, intr):
    """Confirmed tracks 1..N with these (N,17,2) keypoints, as the tracking stage would publish them."""
    from alphapose_ros.core.poses import TRACK_CONFIRMED, PoseSet

    n = len(keypoints)
    return PoseSet("coco_17", np.tile([0, 0, intr.width, intr.height], (n, 1)), np.full(n, 0.9), keypoints,
                   np.full((n, 17), 0.9), np.full(n, 2.0), track_ids=np.arange(1, n + 1),
                   track_states=np.full(n, TRACK_CONFIRMED))


def compressed_depth_msg(depth_mm: np.ndarray, header):
    """A 16UC1 depth image as image_transport's compressedDepth sends it: a 12-byte header, then a PNG."""
    import cv2
    from sensor_msgs.msg import CompressedImage

    ok, png = cv2.imencode(".png", depth_mm)
    head = np.zeros(3, "<i4").tobytes()  # format (0), quantisation A and B (unused for 16UC1)
    return CompressedImage(header=header, format="16UC1; compressedDepth png", data=head + png.tobytes())
