"""Fall detection node: the tracked poses (`poses`, or `poses_3d` with `poses_topic`) in, one
alphapose_ros/FallEvent per fall on `falls` (track ID, stamp, confidence). The rule and its parameters are
core/behaviour/fall_detection.py's: a fast descent of the hips followed by lying; on 3D keypoints when the poses
carry them (metres; up is +z in a target frame such as base_link or map (REP-103), and image-up in the camera's
optical frame, which assumes a level camera), else on image pixels. Managed, like the other stages."""
from __future__ import annotations

import numpy as np
from rclpy.lifecycle import TransitionCallbackReturn

from alphapose_ros.core.behaviour.fall_detection import FallDetector, FallParams
from alphapose_ros.msg import FallEvent, WholeBodyPoseArray
from alphapose_ros.ros.conversions import stamp_seconds
from alphapose_ros.ros.node_utils import declare
from alphapose_ros.ros.nodes.pose_stage import PoseStageNode

OPTICAL_UP = np.array([0.0, -1.0, 0.0])
REP103_UP = np.array([0.0, 0.0, 1.0])


class FallDetectionNode(PoseStageNode):
    stage, out_topic = "fall detection", "falls"

    def __init__(self, name: str = "fall_detection", **kwargs):
        super().__init__(name, **kwargs)
        d = FallParams()
        self.in_topic = declare(self, "poses_topic", "poses", "tracked poses to read: poses, or poses_3d to "
                                "apply the rule in metres")
        self.params = FallParams(
            min_speed=declare(self, "min_speed", d.min_speed, "hip descent speed of a fall (body heights/s)",
                              range=(0.05, 10.0)),
            speed_window=declare(self, "speed_window", d.speed_window, "time over which that speed is measured (s)",
                                 range=(0.03, 5.0)),
            lying_angle=declare(self, "lying_angle", d.lying_angle, "torso angle from vertical that counts as "
                                "lying (degrees)", range=(10.0, 90.0)),
            lying_s=declare(self, "lying_s", d.lying_s, "how long the lying posture must last (s)", range=(0.0, 30.0)),
            settle_s=declare(self, "settle_s", d.settle_s, "most time from the fast descent to lying (s)",
                             range=(0.0, 30.0)),
            min_score=declare(self, "min_score", d.min_score, "keypoints below this score are not used",
                              range=(0.0, 10.0)),
            forget_s=declare(self, "forget_s", d.forget_s, "forget a track unseen this long (s)",
                             range=(0.0, 3600.0)),
            foreshortened=declare(self, "foreshortened", d.foreshortened, "2D: a torso seen shorter than this x its "
                                  "upright length (lying along the line of sight) ...", range=(0.0, 1.0)),
            head_drop=declare(self, "head_drop", d.head_drop, "... with the head this many body heights below its "
                              "upright place counts as lying", range=(0.0, 5.0)))
        self.detector = FallDetector(self.params)
        self._declare_stage()

    def on_configure(self, state) -> TransitionCallbackReturn:
        self.pub = self._make_publisher(FallEvent, "falls")
        return TransitionCallbackReturn.SUCCESS

    def on_cleanup(self, state) -> TransitionCallbackReturn:
        self.detector.reset()
        return super().on_cleanup(state)

    def _on_poses(self, msg: WholeBodyPoseArray) -> None:
        p = self._unpack(msg)
        if p is None:
            return
        t = stamp_seconds(msg.header)
        from_3d = p.keypoints_3d is not None
        points = p.keypoints_3d if from_3d else p.keypoints
        up = None
        if from_3d:  # REP-103 frames have z up; the camera's optical frame has y down (a level camera)
            up = OPTICAL_UP if p.frame_3d in ("", msg.header.frame_id) else REP103_UP
        try:
            events = self.detector.update(t, p.track_ids, points, p.keypoint_scores, p.format_name, up)
        except ValueError as e:  # a format without shoulders, hips and ankles (hand_21)
            self.skip(f"no fall detection on {p.format_name}: {e}")
            return
        for ev in events:
            self.get_logger().warning(f"fall: track {ev.track_id} (confidence {ev.confidence:.2f}, descent "
                                      f"{ev.descent_speed:.2f} body heights/s, torso {ev.torso_angle_deg:.0f} deg)")
            self.pub.publish(FallEvent(header=msg.header, track_id=ev.track_id, fall_start=ev.fall_start,
                                       confidence=ev.confidence, descent_speed=ev.descent_speed,
                                       torso_angle_deg=ev.torso_angle_deg, from_3d=from_3d))
        self._finished(msg.header)
