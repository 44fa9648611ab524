"""Tracking node: Multi-Stage Identity Matching (or PoseFlow) on `poses_nms`, publishing
`poses` with track IDs (keypoints smoothed per track by a One-Euro filter unless `smoothing` is off; the
unsmoothed ones on `poses_unsmoothed` while someone subscribes) and a vision_msgs/Detection2DArray
`tracked_detections` whose ids are the track IDs. Tracks expire on image time; a stamp earlier than the last resets them, and so
does the `~/reset` service (std_srvs/Trigger; IDs are never reused, also across restarts of the node: the next
one is kept in a file, core/tracking/id_lease.py). Managed: configure builds the
tracker, activate subscribes, cleanup forgets the tracks."""
from __future__ import annotations

import numpy as np
from rclpy.lifecycle import TransitionCallbackReturn
from std_srvs.srv import Trigger

from alphapose_ros.core.detectors.base import Detections
from alphapose_ros.core.tracking.id_lease import IdLease, default_path
from alphapose_ros.core.tracking.msim import MSIMParams
from alphapose_ros.core.tracking.one_euro import MIN_SCORE, PIXEL_DEFAULTS, TrackSmoother, smooth_keypoints_2d
from alphapose_ros.core.tracking.poseflow import PoseFlowParams
from alphapose_ros.core.tracking.trackers import TRACKERS, make_tracker, track_poses
from alphapose_ros.msg import WholeBodyPoseArray
from alphapose_ros.ros.conversions import poses_to_msg, stamp_seconds
from alphapose_ros.ros.node_utils import declare, declare_smoothing
from alphapose_ros.ros.nodes.pose_stage import PoseStageNode


class TrackingNode(PoseStageNode):
    stage, in_topic, out_topic = "tracking", "poses_nms", "poses"

    def __init__(self, name: str = "tracking", **kwargs):
        super().__init__(name, **kwargs)
        self.msim = MSIMParams(
            embedding_thresh=declare(self, "embedding_thresh", 0.7, "stage 1: max embedding distance",
                                     range=(0.0, 2.0)),
            fused_thresh=declare(self, "fused_thresh", 0.5, "stage 2: max (1 - IoU) + pose_weight x pose distance",
                                 range=(0.0, 10.0)),
            relaxed_thresh=declare(self, "relaxed_thresh", 0.7, "stage 3 (relaxed repeat) threshold",
                                   range=(0.0, 10.0)),
            pose_weight=declare(self, "pose_weight", 0.0, "weight of the paper's pose distance (eq. 19) in stage 2",
                                range=(0.0, 100.0)),
            relaxed_all=declare(self, "relaxed_all", True, "stage 3 repeats over every unmatched track (the "
                                "paper) instead of only those born in the previous frame (AlphaPose's code)"),
            max_lost_seconds=declare(self, "max_lost_seconds", 8.0, "forget a track unseen this long (image time)",
                                     range=(0.0, 86400.0)),
            frame_rate=declare(self, "frame_rate", 30.0, "nominal camera rate (Kalman step per frame)",
                               range=(0.1, 1000.0)),
        )
        self.kind = declare(self, "tracker", "msim", f"which tracker: {' or '.join(TRACKERS)}")
        if self.kind not in TRACKERS:
            raise ValueError(f"{name}: parameter tracker must be one of {', '.join(TRACKERS)}, not {self.kind!r}")
        self.flow = PoseFlowParams(
            link_seconds=declare(self, "poseflow_link_seconds", PoseFlowParams.link_seconds,
                                 "poseflow: link to IDs seen within this image time", range=(0.0, 86400.0)),
            accept=declare(self, "poseflow_accept", PoseFlowParams.accept, "poseflow: minimum grade of a match",
                           range=(0.0, 100.0)))
        smoothing = declare_smoothing(self, PIXEL_DEFAULTS, "body height per second")
        self.smoother = None if smoothing is None else TrackSmoother(smoothing)
        self.smooth_min_score = declare(self, "smooth_min_score", MIN_SCORE, "keypoints scored below this are not "
                                        "smoothed (passed on raw)", range=(0.0, 10.0))
        self.tracker = self.det_pub = self.raw_pub = None
        self._last_t: float | None = None
        keep = declare(self, "keep_track_ids", True, "keep the next track ID in $ROS_HOME/alphapose_ros/ (one small "
                       "file per node), so a restarted node never hands out an ID again; false, or offline (a bag "
                       "replayed gives the same IDs each run): IDs from 1 each start")
        # answered in any state: a reset while inactive clears the tracks the next activation resumes with
        self.reset_srv = self.create_service(Trigger, "~/reset", self._on_reset)
        self._keep_ids, self._lease, self._next_id = keep, None, 1
        self._declare_stage()

    def on_configure(self, state) -> TransitionCallbackReturn:
        if self._lease is None:  # the first configure of this process: continue above its last run's IDs
            keep = self._keep_ids and not self.get_parameter("offline").value
            self._lease = IdLease(default_path(self.get_fully_qualified_name()) if keep else None)
            if keep and self._lease.problem:
                self.get_logger().warning(f"track IDs: {self._lease.problem}; IDs start at {self._lease.first}")
            self._next_id = self._lease.first
        self.tracker = make_tracker(self.kind, self.msim, self.flow)
        self.tracker.next_id = self._next_id  # a fresh tracker, but IDs go on counting: never reused
        if self.kind == "poseflow":  # this node sees poses only, no pixels
            self.get_logger().info("poseflow without images: correspondences are the identity (box and joint IoUs)")
        self._make_output()
        if self.smoother is not None:
            self.raw_pub = self._make_publisher(WholeBodyPoseArray, "poses_unsmoothed")
        try:
            from vision_msgs.msg import Detection2DArray

            self.det_pub = self._make_publisher(Detection2DArray, "tracked_detections")
        except ImportError:
            self.get_logger().warning("vision_msgs not installed: tracked_detections is not published")
        return TransitionCallbackReturn.SUCCESS

    def on_cleanup(self, state) -> TransitionCallbackReturn:
        self._next_id = self.tracker.next_id
        self.det_pub = self.tracker = self.raw_pub = None
        if self.smoother is not None:
            self.smoother.reset()
        self._last_t = None
        return super().on_cleanup(state)

    def _on_reset(self, request, response):
        """std_srvs/Trigger: forget every track; the next people get new IDs (never reused)."""
        if self.tracker is None:
            response.success, response.message = False, "not configured: no tracks to reset"
            return response
        self.tracker.reset()
        if self.smoother is not None:
            self.smoother.reset()
        self._last_t = None
        response.success, response.message = True, f"tracks reset; the next new track gets ID {self.tracker.next_id}"
        self.get_logger().info(response.message)
        return response

    def _on_poses(self, msg: WholeBodyPoseArray) -> None:
        p = self._unpack(msg)
        if p is None:
            return
        t = stamp_seconds(msg.header)
        if self._last_t is not None and t < self._last_t:
            self.get_logger().warning(f"image time went back {self._last_t - t:.3f} s: tracks reset")
        self._last_t = t
        tracked = track_poses(self.tracker, t, p)
        self._lease.reserve(self.tracker.next_id)  # in the file before IDs near its limit go out
        if self.smoother is not None:
            if self.raw_pub.get_subscription_count():
                self.raw_pub.publish(poses_to_msg(tracked, msg.header, msg.image_width, msg.image_height))
            tracked = smooth_keypoints_2d(self.smoother, t, tracked, self.smooth_min_score)
        self.pub.publish(poses_to_msg(tracked, msg.header, msg.image_width, msg.image_height))
        self._finished(msg.header)
        if self.det_pub is not None:
            from alphapose_ros.ros.detection_msgs import detections_to_msg

            det = Detections(tracked.boxes, tracked.box_scores, np.zeros(len(tracked), np.int64))
            self.det_pub.publish(detections_to_msg(det, msg.header, [str(i) for i in tracked.track_ids]))
