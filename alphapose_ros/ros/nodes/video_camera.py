"""Video camera node: a video file published as a camera (`image`, sensor_msgs/Image bgr8,
stamped with the node clock), at the file's frame rate or `rate`, optionally resized to `width`
(a large camera from a small clip). Each image is the clip's next frame, so at another rate the scene
runs faster or slower; with `real_time` the clip keeps its own speed (frames repeat or are skipped), as a
camera of that rate would see the scene. For demos and tests without a camera; reliable keep-last, so
both sensor-data and reliable subscribers get it."""
from __future__ import annotations

import cv2
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image
from std_msgs.msg import Header

from alphapose_ros.core.io.image_msgs import bgr_to_image
from alphapose_ros.ros.node_utils import declare, declare_path


class VideoCameraNode(Node):
    def __init__(self, name: str = "video_camera", **kwargs):
        super().__init__(name, **kwargs)
        path = declare_path(self, "video", "video file to publish")
        rate = declare(self, "rate", 0.0, "frames per second (0: the video's own rate)", range=(0.0, 1000.0))
        self.loop = declare(self, "loop", False, "start again at the end")
        self.frame_id = declare(self, "frame_id", "camera_optical_frame", "frame_id of the images")
        self.max_frames = declare(self, "max_frames", 0, "stop after this many frames (0: all)", range=(0, 10**9))
        self.width = declare(self, "width", 0, "resize frames to this width, keeping the aspect (0: as in the "
                             "file)", range=(0, 16384))
        self.real_time = declare(self, "real_time", False, "play the clip at its own speed at any `rate` (frames "
                                 "repeat or are skipped); false: each image is the next frame")
        self.cap = cv2.VideoCapture(path)
        if not self.cap.isOpened():
            raise ValueError(f"{name}: cannot open video {path!r}")
        clip_fps = self.cap.get(cv2.CAP_PROP_FPS) or 10.0
        fps = rate or clip_fps
        self.clip_per_image = clip_fps / fps if self.real_time else 1.0  # clip frames per published image
        self.read = 0  # clip frames read
        self.frame = None
        self.sent = 0
        self.done = False
        self.pub = self.create_publisher(Image, "image", QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=5,
                                                                    reliability=ReliabilityPolicy.RELIABLE))
        self.timer = self.create_timer(1.0 / fps, self._tick)
        self.get_logger().info(f"publishing {path} on {self.pub.topic_name} at {fps:g} Hz")

    def _tick(self) -> None:
        if self.done:
            return
        want = int(self.sent * self.clip_per_image + 1e-9)  # the clip frame (from 0) this image shows
        ok = self.frame is not None
        while self.read <= want:
            ok, frame = self.cap.read()
            if not ok and self.loop:
                self.cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                ok, frame = self.cap.read()
            if not ok:
                break
            self.read += 1
            self.frame = frame
        frame = self.frame
        if not ok or (self.max_frames and self.sent >= self.max_frames):
            self.done = True
            self.timer.cancel()
            self.get_logger().info(f"end of video after {self.sent} frames")
            return
        if self.width and frame.shape[1] != self.width:
            h = max(1, round(frame.shape[0] * self.width / frame.shape[1]))
            frame = cv2.resize(frame, (self.width, h), interpolation=cv2.INTER_LINEAR)
        header = Header(stamp=self.get_clock().now().to_msg(), frame_id=self.frame_id)
        self.pub.publish(bgr_to_image(frame, header, Image))
        self.sent += 1
