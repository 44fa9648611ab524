"""Keypoints 3D node: the tracked poses (`poses`) with a depth image registered to the colour camera
(`depth`, 16UC1 mm or 32FC1 m, or `depth/compressedDepth` with `compressed`) and the colour camera's
`camera_info` in; out: `poses_3d` (the same
poses with x3d/y3d/z3d and position filled, metres in the image's optical frame, smoothed per track by a
One-Euro filter with per-keypoint and per-person velocities unless `smoothing` is off; the unsmoothed ones
on `poses_3d_unsmoothed` while someone subscribes), `people_3d`
(vision_msgs/Detection3DArray, one per person with a position, id = track ID) and `markers_3d`
(RViz skeletons in metres).

Frames: with `target_frame` set (base_link, map, ...) every 3D output is in that frame, transformed with
/tf and /tf_static at the image's stamp (ros/tf_listener.py); when that transform is missing or too old the
output goes out in the camera's frame, with that frame id, the reason said once and counted in
/diagnostics. With `tf` on, each tracked person with a torso in 3D gets a frame `body_b<track ID>` on /tf
(ROS4HRI; core/people3d/body_frames.py), and with `tf_keypoints` one per keypoint too
(`body_b<ID>_<keypoint name>`).

Pairing: each pose message takes the depth image nearest its stamp within `depth_slop` seconds (0:
the same stamp only) and the latest camera_info (intrinsics are static). A pose message that cannot
get depth (none within the slop, an unusable encoding, no camera_info yet) is still published on
`poses_3d`, without 3D, and the reason logged once: the 2D output never waits on a broken depth
stream. The lifting itself is core/people3d/keypoints_3d.py.
"""
from __future__ import annotations

import numpy as np
from geometry_msgs.msg import Point
from rclpy.lifecycle import TransitionCallbackReturn
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from std_msgs.msg import ColorRGBA, Header
from visualization_msgs.msg import Marker, MarkerArray

from alphapose_ros.core.io.image_msgs import ImageError, compressed_depth_to_array, depth_image_to_array
from alphapose_ros.core.people3d.body_frames import rotation_to_quaternion, torso_frames
from alphapose_ros.core.people3d.keypoints_3d import DepthError, Intrinsics, LiftParams, depth_in_metres, lift
from alphapose_ros.core.people3d.tf_buffer import TransformError, poses_in_frame
from alphapose_ros.core.poses import PoseSet
from alphapose_ros.core.skeletons import get_format
from alphapose_ros.core.tracking.one_euro import METRE_DEFAULTS, TrackSmoother, smooth_keypoints_3d
from alphapose_ros.msg import WholeBodyPoseArray
from alphapose_ros.ros.conversions import body_id, msg_to_poses, poses_to_msg, stamp_seconds, transform_msg
from alphapose_ros.ros.detection_msgs import people_to_detection3d
from alphapose_ros.ros.images import subscribe_images
from alphapose_ros.ros.node_utils import declare, declare_smoothing
from alphapose_ros.ros.nodes.pose_stage import PoseStageNode
from alphapose_ros.ros.qos import CameraSubscription, declare_camera_reliable
from alphapose_ros.ros.sync import NearestStamp
from alphapose_ros.ros.tf_listener import TransformSource


class Keypoints3DNode(PoseStageNode):
    stage, in_topic, out_topic = "keypoints 3d", "poses", "poses_3d"

    def __init__(self, name: str = "keypoints_3d", **kwargs):
        super().__init__(name, **kwargs)
        self.lift_params = LiftParams(
            radius=declare(self, "patch_radius", 3, "depth patch half-size around a keypoint (depth px)",
                           range=(0, 20)),
            min_depth=declare(self, "min_depth", 0.1, "depth values nearer than this are invalid (m)",
                              range=(0.0, 100.0)),
            max_depth=declare(self, "max_depth", 20.0, "depth values farther than this are invalid (m)",
                              range=(0.0, 1000.0)),
            surface_band=declare(self, "surface_band", 0.15, "keep patch values within this of the nearest "
                                 "surface in the patch (m): the person, not the wall behind", range=(0.0, 10.0)),
            min_score=declare(self, "min_score", 0.05, "keypoints below this score get no 3D point",
                              range=(0.0, 10.0)),
        )
        self.slop = declare(self, "depth_slop", 0.02, "pair poses with the depth image nearest in stamp within "
                            "this (s); 0: the same stamp only", range=(0.0, 1.0))
        self.sync_queue = declare(self, "sync_queue", 10, "depth images / pose messages kept while pairing",
                                  range=(1, 1000))
        self.camera_reliable = declare_camera_reliable(self)
        self.compressed = declare(self, "compressed", False, "read depth/compressedDepth (image_transport's "
                                  "compressedDepth, PNG) instead of depth (the launch's image_transport sets it)")
        self.smoothing = declare_smoothing(self, METRE_DEFAULTS, "m/s")
        self.smoothers: dict[str, tuple[TrackSmoother, TrackSmoother]] = {}  # by the frame the 3D is in
        self.target_frame = declare(self, "target_frame", "", "frame of every 3D output (base_link, map, ...), "
                                    "through /tf at the image stamp; empty: the camera's optical frame")
        self.tf_cache_time = declare(self, "tf_cache_time", 10.0, "seconds of /tf history kept for lookups",
                                     range=(0.1, 3600.0))
        self.publish_tf = declare(self, "tf", False, "a TF frame body_b<track ID> per tracked person (torso centre, "
                                  "x forward from the chest, z up the spine) on /tf")
        self.tf_keypoints = declare(self, "tf_keypoints", False, "with tf: a frame body_b<ID>_<keypoint> per "
                                    "keypoint with valid 3D too")
        self.raw_pub = self.tf_pub = self.transforms = None
        self.camera_info: CameraInfo | None = None
        self.intrinsics: Intrinsics | None = None
        self.cameras: list[CameraSubscription] = []
        self.side_subs: dict = {}
        self.pairer = NearestStamp(self._on_pair, self._without_depth, self.slop, self.sync_queue)
        self._declare_stage()

    def on_configure(self, state) -> TransitionCallbackReturn:
        self._make_output()
        from vision_msgs.msg import Detection3DArray

        self.people_pub = self._make_publisher(Detection3DArray, "people_3d")
        self.marker_pub = self._make_publisher(MarkerArray, "markers_3d")
        if self.smoothing is not None:
            self.raw_pub = self._make_publisher(WholeBodyPoseArray, "poses_3d_unsmoothed")
        if self.target_frame:
            self.transforms = TransformSource(self, self.tf_cache_time)
            self.get_logger().info(f"3D outputs in {self.target_frame} (transforms from {self.transforms.kind})")
        if self.publish_tf:
            from tf2_msgs.msg import TFMessage

            self.tf_pub = self.create_publisher(TFMessage, "/tf", 100)
            self.publishers_made.append(self.tf_pub)
        return TransitionCallbackReturn.SUCCESS

    def on_activate(self, state) -> TransitionCallbackReturn:
        depth_in = ("depth/compressedDepth", CompressedImage) if self.compressed else ("depth", Image)
        for topic, msg_type, cb in ((*depth_in, self._on_depth), ("camera_info", CameraInfo, self._on_info)):
            def subscribe(qos, topic=topic, msg_type=msg_type, cb=cb) -> None:
                if topic in self.side_subs:
                    self.destroy_subscription(self.side_subs[topic])
                self.side_subs[topic] = subscribe_images(self, msg_type, topic, cb, qos,
                                                         lambda why: self.skip(f"depth image unusable: {why}"))

            self.cameras.append(CameraSubscription(self, topic, self.sync_queue, self.camera_reliable, subscribe))
        return super().on_activate(state)

    def on_deactivate(self, state) -> TransitionCallbackReturn:
        for c in self.cameras:
            c.close()
        self.cameras = []
        for sub in self.side_subs.values():
            self.destroy_subscription(sub)
        self.side_subs = {}
        self.pairer.clear()
        self.smoothers.clear()
        return super().on_deactivate(state)

    def on_cleanup(self, state) -> TransitionCallbackReturn:
        if self.transforms is not None:
            self.transforms.close()
            self.transforms = None
        self.tf_pub = self.raw_pub = None
        return super().on_cleanup(state)

    def _on_info(self, msg: CameraInfo) -> None:
        last = self.camera_info
        if last is not None and np.array_equal(msg.k, last.k) and np.array_equal(msg.d, last.d) \
                and (msg.width, msg.height, msg.distortion_model) == (last.width, last.height, last.distortion_model):
            return
        try:
            self.intrinsics = Intrinsics.from_camera_info(msg.k, msg.d, msg.width, msg.height, msg.distortion_model)
        except DepthError as e:
            self.intrinsics = None
            self.skip(f"camera_info unusable: {e}")
        self.camera_info = msg

    def _on_depth(self, msg) -> None:
        self.pairer.add_side(msg, stamp_seconds(msg.header))

    def _on_poses(self, msg: WholeBodyPoseArray) -> None:
        self.monitor.on_input()
        self.pairer.add_main(msg, stamp_seconds(msg.header))

    def _without_depth(self, msg: WholeBodyPoseArray, reason: str) -> None:
        """Published without 3D: the 2D poses are never held back by the depth stream."""
        self.skip(f"poses published without 3D: {reason}")
        self._publish(msg, None)

    def _on_pair(self, msg: WholeBodyPoseArray, depth) -> None:
        if self.intrinsics is None:
            why = "camera_info unusable" if self.camera_info is not None else "no camera_info received yet"
            self._without_depth(msg, f"{why} on {self.resolve_topic_name('camera_info')}")
            return
        try:
            if self.compressed:
                depth_m = depth_in_metres(*compressed_depth_to_array(depth))
            else:
                depth_m = depth_in_metres(depth_image_to_array(depth), depth.encoding)
        except (ImageError, DepthError) as e:
            self._without_depth(msg, f"depth image unusable: {e}")
            return
        self._publish(msg, depth_m)

    def _publish(self, msg: WholeBodyPoseArray, depth_m: np.ndarray | None) -> None:
        try:
            poses = msg_to_poses(msg)
        except (KeyError, ValueError) as e:
            self.skip(f"malformed pose message: {e}")
            return
        if depth_m is not None:
            poses.keypoints_3d, poses.positions = lift(poses.keypoints, poses.keypoint_scores, depth_m,
                                                       self.intrinsics, (msg.image_width, msg.image_height),
                                                       poses.format_name, self.lift_params)
            poses = self._in_target_frame(poses, msg.header)
            if self.smoothing is not None:
                if self.raw_pub.get_subscription_count():
                    self.raw_pub.publish(poses_to_msg(poses, msg.header, msg.image_width, msg.image_height))
                frame = poses.frame_3d or msg.header.frame_id
                if frame not in self.smoothers:  # a filter's state belongs to one frame
                    self.smoothers[frame] = (TrackSmoother(self.smoothing), TrackSmoother(self.smoothing))
                poses = smooth_keypoints_3d(*self.smoothers[frame], stamp_seconds(msg.header), poses)
        self.pub.publish(poses_to_msg(poses, msg.header, msg.image_width, msg.image_height))
        self.monitor.on_output(msg.header)
        if depth_m is not None:
            header = Header(stamp=msg.header.stamp, frame_id=poses.frame_3d or msg.header.frame_id)
            self.people_pub.publish(people_to_detection3d(poses, header))
            self.marker_pub.publish(markers_3d(poses, header))
            if self.tf_pub is not None:
                self.tf_pub.publish(body_transforms(poses, header, self.tf_keypoints))

    def _in_target_frame(self, poses: PoseSet, header) -> PoseSet:
        """The 3D in target_frame; in the camera's frame (said once, counted) when the transform is missing."""
        source = header.frame_id
        if not self.target_frame or self.target_frame == source:
            return poses
        if not source:
            self.monitor.count("images without a frame_id: 3D left in no frame", f"cannot reach {self.target_frame}")
            return poses
        try:
            rigid = self.transforms.lookup(self.target_frame, source, stamp_seconds(header))
        except TransformError as e:
            self.monitor.count(f"no transform {source} -> {self.target_frame}: 3D published in {source}", str(e))
            return poses
        return poses_in_frame(poses, rigid, self.target_frame)


def body_transforms(poses: PoseSet, header, keypoints: bool = False):
    """tf2_msgs/TFMessage: body_b<ID> per tracked person with a torso in 3D (parent: the 3D's frame), and with
    `keypoints` body_b<ID>_<keypoint name> per valid keypoint (parent: the same frame, no rotation)."""
    from tf2_msgs.msg import TFMessage

    out = TFMessage()
    if poses.keypoints_3d is None or len(poses) == 0:
        return out
    origin, rot, ok = torso_frames(poses.keypoints_3d, poses.format_name)
    quat = rotation_to_quaternion(rot)
    names = get_format(poses.format_name).names
    for i in np.flatnonzero(ok & (poses.track_ids >= 0)):
        frame = f"body_{body_id(poses.track_ids[i])}"
        out.transforms.append(transform_msg(header.stamp, header.frame_id, frame, origin[i], quat[i]))
        if keypoints:
            valid = np.flatnonzero(np.isfinite(poses.keypoints_3d[i]).all(1))
            out.transforms.extend(transform_msg(header.stamp, header.frame_id, f"{frame}_{names[k]}",
                                                poses.keypoints_3d[i, k], (0.0, 0.0, 0.0, 1.0)) for k in valid)
    return out


def markers_3d(poses: PoseSet, header) -> MarkerArray:
    """Per person: a LINE_LIST of the skeleton's links between valid 3D keypoints (metres, in the image's
    optical frame); a DELETEALL first clears people who left."""
    out = MarkerArray()
    clear = Marker(header=header, action=Marker.DELETEALL)
    out.markers.append(clear)
    links = np.array(get_format(poses.format_name).real_links(), np.int64).reshape(-1, 2)
    for i in range(len(poses)):
        xyz = poses.keypoints_3d[i]
        ok = np.isfinite(xyz[links[:, 0], 2]) & np.isfinite(xyz[links[:, 1], 2])
        m = Marker(header=header, ns="skeleton_3d", type=Marker.LINE_LIST, action=Marker.ADD)
        m.id = int(poses.track_ids[i]) if poses.track_ids[i] >= 0 else i
        m.pose.orientation.w = 1.0
        m.scale.x = 0.02
        m.color = ColorRGBA(r=0.1, g=0.6, b=1.0, a=1.0)
        m.points = [Point(x=float(p[0]), y=float(p[1]), z=float(p[2])) for p in xyz[links[ok].reshape(-1)]]
        out.markers.append(m)
    return out

