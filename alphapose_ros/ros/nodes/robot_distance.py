"""Robot distance node (speed and separation monitoring): the 3D poses (`poses_3d`), the colour camera's
`camera_info` and the robot's link frames on /tf in; out: per person the distance from the nearest body keypoint
to the nearest robot link with a 95% interval and the closing speed (`/humans/robot_distance`,
alphapose_ros/RobotDistanceArray, stamped with the image), and the smallest lower bound over people
(`/humans/robot_distance/min`, std_msgs/Float32, +inf with nobody in view), each within the image's own frame
of processing. Links: capsules and spheres around TF frames (`links_file`, config/robot_links_example.yaml),
placed at the image's stamp. The geometry is core/people3d/robot_distance.py.

Never silently dropped: a person without depth gets a lower bound from the keypoints' viewing rays (needs
camera_info) and an infinite upper one; a link whose transform is missing is left out of that frame, said once
and counted in /diagnostics; with no link placed at all the distances are unknown (NaN, [0, inf]).
"""
from __future__ import annotations

import numpy as np
from rclpy.lifecycle import TransitionCallbackReturn
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo
from std_msgs.msg import Float32, Header

from alphapose_ros.core.people3d.keypoints_3d import DepthError, Intrinsics, undistorted_normalised
from alphapose_ros.core.people3d.robot_distance import NoiseModel, load_links, person_distances
from alphapose_ros.core.people3d.tf_buffer import Rigid, TransformError
from alphapose_ros.core.tracking.one_euro import OneEuroParams, TrackSmoother
from alphapose_ros.msg import RobotDistance, RobotDistanceArray, WholeBodyPoseArray
from alphapose_ros.ros.conversions import stamp_seconds
from alphapose_ros.ros.node_utils import declare, declare_path
from alphapose_ros.ros.nodes.pose_stage import PoseStageNode
from alphapose_ros.ros.tf_listener import TransformSource


class RobotDistanceNode(PoseStageNode):
    stage, in_topic, out_topic = "robot distance", "poses_3d", ""

    def __init__(self, name: str = "robot_distance", **kwargs):
        super().__init__(name, **kwargs)
        self.links_file = declare_path(self, "links_file", "YAML of the robot's links (capsules / spheres in TF "
                                       "frames; config/robot_links_example.yaml)")
        d = NoiseModel()
        self.noise = NoiseModel(
            depth_noise=declare(self, "depth_noise", d.depth_noise, "depth sigma per metre squared of range (m)",
                                range=(0.0, 1.0)),
            pixel_noise=declare(self, "pixel_noise", d.pixel_noise, "keypoint sigma (px)", range=(0.0, 100.0)),
            min_range=declare(self, "min_range", d.min_range, "nearest a keypoint without depth may be (m)",
                              range=(0.0, 100.0)),
            max_range=declare(self, "max_range", d.max_range, "farthest a keypoint without depth may be (m)",
                              range=(0.1, 1000.0)))
        self.closing = OneEuroParams(
            min_cutoff=declare(self, "closing_cutoff", 2.0, "cutoff of the distance filter behind the closing speed "
                               "(Hz)", range=(0.01, 100.0)), beta=0.0,
            d_cutoff=declare(self, "closing_d_cutoff", 2.0, "cutoff of the closing speed (Hz)", range=(0.01, 100.0)),
            max_gap=declare(self, "closing_max_gap", 0.5, "a track unseen this long starts its speed over (s)",
                            range=(0.0, 60.0)))
        self.links = []
        self.transforms = self.min_pub = self.info_sub = None
        self.intrinsics: Intrinsics | None = None
        self.smoother = TrackSmoother(self.closing)
        self._declare_stage()

    def on_configure(self, state) -> TransitionCallbackReturn:
        if not self.links_file:
            self.get_logger().error("links_file is empty: name the robot's links (config/robot_links_example.yaml)")
            return TransitionCallbackReturn.FAILURE
        try:
            self.links = load_links(self.links_file)
        except (OSError, ValueError) as e:
            self.get_logger().error(f"cannot use links_file: {e}")
            return TransitionCallbackReturn.FAILURE
        self.transforms = TransformSource(self)
        self.pub = self._make_publisher(RobotDistanceArray, "/humans/robot_distance")
        self.min_pub = self._make_publisher(Float32, "/humans/robot_distance/min")
        self.info_sub = self.create_subscription(CameraInfo, "camera_info", self._on_info, qos_profile_sensor_data)
        self.get_logger().info(f"{len(self.links)} robot links from {self.links_file}; transforms from "
                               f"{self.transforms.kind}")
        return TransitionCallbackReturn.SUCCESS

    def on_cleanup(self, state) -> TransitionCallbackReturn:
        if self.transforms is not None:
            self.transforms.close()
        if self.info_sub is not None:
            self.destroy_subscription(self.info_sub)
        self.transforms = self.info_sub = self.min_pub = None
        self.smoother.reset()
        return super().on_cleanup(state)

    def _on_info(self, msg: CameraInfo) -> None:
        try:
            self.intrinsics = Intrinsics.from_camera_info(msg.k, msg.d, msg.width, msg.height, msg.distortion_model)
        except DepthError as e:
            self.intrinsics = None
            self.skip(f"camera_info unusable: {e}")

    def _lookup(self, target: str, source: str, t: float) -> Rigid | None:
        if target == source:
            return Rigid.identity()
        try:
            return self.transforms.lookup(target, source, t)
        except TransformError as e:
            self.monitor.count(f"no transform {source} -> {target}: left out", str(e))
            return None

    def _on_poses(self, msg: WholeBodyPoseArray) -> None:
        p = self._unpack(msg)
        if p is None:
            return
        t = stamp_seconds(msg.header)
        frame = p.frame_3d or msg.header.frame_id
        n, k = len(p), p.num_keypoints
        points = p.keypoints_3d if p.keypoints_3d is not None else np.full((n, k, 3), np.nan)
        if p.keypoints_3d is None and n:
            self.monitor.count("poses without 3D: distances bounded from the viewing rays only")
        axes, radii, names = [], [], []
        for link in self.links:
            rigid = self._lookup(frame, link.frame, t)
            if rigid is not None:
                axes.append(rigid.apply(np.array([link.a, link.b])))
                radii.append(link.radius)
                names.append(link.frame)
        camera = self._lookup(frame, msg.header.frame_id, t)
        rays = None
        noise = self.noise
        if camera is not None and self.intrinsics is not None and n:
            intr = self.intrinsics.scaled(msg.image_width, msg.image_height)
            missing = ~np.isfinite(points).all(-1)  # only keypoints without depth need their viewing ray
            rays = np.full((n, k, 3), np.nan)
            if missing.any():
                xy = undistorted_normalised(p.keypoints[missing], intr)
                ray = np.concatenate([xy, np.ones((len(xy), 1))], 1)
                rays[missing] = camera.rotate(ray / np.linalg.norm(ray, axis=1, keepdims=True))
            noise = NoiseModel(noise.depth_noise, noise.pixel_noise, intr.fx, noise.min_range, noise.max_range)
        origin = camera.t if camera is not None else np.zeros(3)
        r = person_distances(points, p.keypoint_scores, np.array(axes).reshape(-1, 2, 3), np.array(radii), origin,
                             rays, noise)
        _, speed = self.smoother.update(t, p.track_ids, r.distance[:, None, None])
        out = RobotDistanceArray(header=Header(stamp=msg.header.stamp, frame_id=frame))
        for i in range(n):
            out.people.append(RobotDistance(
                track_id=int(p.track_ids[i]), distance=float(r.distance[i]), lower_95=float(r.lower[i]),
                upper_95=float(r.upper[i]), closing_speed=float(-speed[i, 0, 0]), keypoint=int(r.keypoint[i]),
                link=names[r.link[i]] if r.link[i] >= 0 else ""))
        self.pub.publish(out)
        self.min_pub.publish(Float32(data=float(r.lower.min()) if n else float("inf")))
        self._finished(msg.header)
