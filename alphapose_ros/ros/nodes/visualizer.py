"""Visualiser node: the camera image with tracked skeletons drawn on it (`image_annotated`)
and an RViz MarkerArray (`markers`) of the skeletons in the image plane of the camera
frame (x right, y down, pixels x `marker_scale` metres, z = 0)."""
from __future__ import annotations

from geometry_msgs.msg import Point
from rclpy.node import Node
from sensor_msgs.msg import Image
from std_msgs.msg import ColorRGBA
from visualization_msgs.msg import Marker, MarkerArray

from alphapose_ros.core.io.drawing import draw_poses
from alphapose_ros.core.poses import PoseSet
from alphapose_ros.core.skeletons import get_format
from alphapose_ros.msg import WholeBodyPoseArray
from alphapose_ros.ros.conversions import msg_to_poses
from alphapose_ros.core.io.image_msgs import ImageError, bgr_to_image
from alphapose_ros.ros.images import declare_compressed, image_input, subscribe_images
from alphapose_ros.ros.node_utils import SkipLog, declare
from alphapose_ros.ros.qos import CameraSubscription, declare_camera_reliable, stage_qos
from alphapose_ros.ros.sync import StampPairer, stamp_key


class VisualizerNode(Node):
    def __init__(self, name: str = "visualizer", **kwargs):
        super().__init__(name, **kwargs)
        self.min_score = declare(self, "min_score", 0.05, "draw keypoints and links above this score",
                                 range=(0.0, 1.0))
        self.scale = declare(self, "marker_scale", 0.001, "metres per pixel for the RViz markers",
                             range=(1e-09, 1000.0))
        depth = declare(self, "queue_depth", 2, "queue depth", range=(1, 1000))
        offline = declare(self, "offline", False, "deep queues: draw every frame")
        self.skip = SkipLog(self.get_logger())
        self.pairer = StampPairer(self._on_pair, declare(self, "sync_queue", 10, "frames kept while pairing",
                                                         range=(1, 10000)), lossless=offline)
        q = stage_qos(depth, offline)
        self.img_pub = self.create_publisher(Image, "image_annotated", q)
        self.marker_pub = self.create_publisher(MarkerArray, "markers", q)
        self.image_sub = None
        reliable = declare_camera_reliable(self)
        self.image_type, self.image_topic, self.convert = image_input(declare_compressed(self))
        if offline:
            self._subscribe_image(stage_qos(1, True))
        else:  # a camera: match its publishers' reliability
            self.camera = CameraSubscription(self, self.image_topic, 10, reliable, self._subscribe_image)
        self.create_subscription(WholeBodyPoseArray, "poses", lambda m: self.pairer.add_second(m, stamp_key(m.header)),
                                 q)

    def _subscribe_image(self, qos) -> None:
        if self.image_sub is not None:
            self.destroy_subscription(self.image_sub)
        self.image_sub = subscribe_images(self, self.image_type, self.image_topic,
                                          lambda m: self.pairer.add_first(m, stamp_key(m.header)), qos, self.skip)

    def _on_pair(self, image, poses_msg: WholeBodyPoseArray) -> None:
        try:
            bgr = self.convert(image)
            poses = msg_to_poses(poses_msg)
        except (ImageError, KeyError, ValueError) as e:
            self.skip(str(e))
            return
        self.img_pub.publish(bgr_to_image(draw_poses(bgr, poses, self.min_score), image.header, Image))
        self.marker_pub.publish(self.markers(poses, image.header))

    def markers(self, poses: PoseSet, header) -> MarkerArray:
        """Per person: a LINE_LIST of the skeleton's links; a DELETEALL first clears old people."""
        out = MarkerArray()
        clear = Marker()
        clear.header = header
        clear.action = Marker.DELETEALL
        out.markers.append(clear)
        links = get_format(poses.format_name).real_links()
        for i in range(len(poses)):
            m = Marker()
            m.header = header
            m.ns = "skeleton"
            m.id = int(poses.track_ids[i]) if poses.track_ids[i] >= 0 else i
            m.type = Marker.LINE_LIST
            m.action = Marker.ADD
            m.pose.orientation.w = 1.0
            m.scale.x = 2.0 * self.scale
            m.color = ColorRGBA(r=0.1, g=0.9, b=0.3, a=1.0)
            kp, sc = poses.keypoints[i], poses.keypoint_scores[i]
            for a, b in links:
                if sc[a] > self.min_score and sc[b] > self.min_score:
                    m.points.append(Point(x=float(kp[a, 0]) * self.scale, y=float(kp[a, 1]) * self.scale))
                    m.points.append(Point(x=float(kp[b, 0]) * self.scale, y=float(kp[b, 1]) * self.scale))
            out.markers.append(m)
        return out
