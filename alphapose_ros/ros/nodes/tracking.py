"""Tracking node: Multi-Stage Identity Matching (or PoseFlow) on `poses_nms`, publishing
`poses` with track IDs and a vision_msgs/Detection2DArray `tracked_detections` whose ids
are the track IDs. Tracks expire on image time; a stamp earlier than the last resets them."""
from __future__ import annotations

import numpy as np
from rclpy.node import Node

from alphapose_ros.core.detectors.base import Detections
from alphapose_ros.core.tracking.msim import MSIMParams
from alphapose_ros.core.tracking.poseflow import PoseFlowParams
from alphapose_ros.core.tracking.trackers import TRACKERS, make_tracker, track_poses
from alphapose_ros.msg import WholeBodyPoseArray
from alphapose_ros.ros.conversions import msg_to_poses, poses_to_msg
from alphapose_ros.ros.diagnostics import StageMonitor, declare_no_input_warning
from alphapose_ros.ros.node_utils import SkipLog, declare
from alphapose_ros.ros.qos import stage_qos


class TrackingNode(Node):
    def __init__(self, name: str = "tracking", **kwargs):
        super().__init__(name, **kwargs)
        params = MSIMParams(
            embedding_thresh=declare(self, "embedding_thresh", 0.7, "stage 1: max embedding distance",
                                     range=(0.0, 2.0)),
            fused_thresh=declare(self, "fused_thresh", 0.5, "stage 2: max (1 - IoU) + pose_weight x pose distance",
                                 range=(0.0, 10.0)),
            relaxed_thresh=declare(self, "relaxed_thresh", 0.7, "stage 3 (relaxed repeat) threshold",
                                   range=(0.0, 10.0)),
            pose_weight=declare(self, "pose_weight", 0.0, "weight of the paper's pose distance (eq. 19) in stage 2",
                                range=(0.0, 100.0)),
            relaxed_all=declare(self, "relaxed_all", False, "stage 3 repeats over every unmatched track (the "
                                "paper) instead of only those born in the previous frame (AlphaPose's code)"),
            max_lost_seconds=declare(self, "max_lost_seconds", 8.0, "forget a track unseen this long (image time)",
                                     range=(0.0, 86400.0)),
            frame_rate=declare(self, "frame_rate", 30.0, "nominal camera rate (Kalman step per frame)",
                               range=(0.1, 1000.0)),
        )
        kind = declare(self, "tracker", "msim", f"which tracker: {' or '.join(TRACKERS)}")
        if kind not in TRACKERS:
            raise ValueError(f"{name}: parameter tracker must be one of {', '.join(TRACKERS)}, not {kind!r}")
        flow = PoseFlowParams(
            link_seconds=declare(self, "poseflow_link_seconds", PoseFlowParams.link_seconds,
                                 "poseflow: link to IDs seen within this image time", range=(0.0, 86400.0)),
            accept=declare(self, "poseflow_accept", PoseFlowParams.accept, "poseflow: minimum grade of a match",
                           range=(0.0, 100.0)))
        if kind == "poseflow":  # this node sees poses only, no pixels
            self.get_logger().info("poseflow without images: correspondences are the identity (box and joint IoUs)")
        depth = declare(self, "queue_depth", 2, "input/output queue depth (bounds latency)", range=(1, 1000))
        offline = declare(self, "offline", False, "deep queues: process every message")
        self.tracker = make_tracker(kind, params, flow)
        self.skip = SkipLog(self.get_logger())
        q = stage_qos(depth, offline)
        self.pub = self.create_publisher(WholeBodyPoseArray, "poses", q)
        self.det_pub = None
        try:
            from vision_msgs.msg import Detection2DArray

            self.det_pub = self.create_publisher(Detection2DArray, "tracked_detections", q)
        except ImportError:
            self.get_logger().warning("vision_msgs not installed: tracked_detections is not published")
        self.sub = self.create_subscription(WholeBodyPoseArray, "poses_nms", self._on_poses, q)
        self.monitor = StageMonitor(self, "tracking", "poses_nms", q, no_input_warn_s=declare_no_input_warning(self),
                                    drops=lambda: self.skip.total)
        self._last_t: float | None = None

    def _on_poses(self, msg: WholeBodyPoseArray) -> None:
        self.monitor.on_input()
        try:
            p = msg_to_poses(msg)
        except (KeyError, ValueError) as e:
            self.skip(f"malformed pose message: {e}")
            return
        t = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        if self._last_t is not None and t < self._last_t:
            self.get_logger().warning(f"image time went back {self._last_t - t:.3f} s: tracks reset")
        self._last_t = t
        tracked = track_poses(self.tracker, t, p)
        self.pub.publish(poses_to_msg(tracked, msg.header, msg.image_width, msg.image_height))
        self.monitor.on_output(msg.header)
        if self.det_pub is not None:
            from alphapose_ros.ros.detection_msgs import detections_to_msg

            det = Detections(tracked.boxes, tracked.box_scores, np.zeros(len(tracked), np.int64))
            self.det_pub.publish(detections_to_msg(det, msg.header, [str(i) for i in tracked.track_ids]))
