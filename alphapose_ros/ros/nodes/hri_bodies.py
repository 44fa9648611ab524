"""ROS4HRI (REP-155) bodies from the tracked poses: `/humans/bodies/tracked` (hri_msgs/IdsList) every frame,
and per body `/humans/bodies/<id>/roi` (NormalizedRegionOfInterest2D), `/humans/bodies/<id>/skeleton2d`
(Skeleton2D: 18 points by keypoint name, normalised to the image) and, when the poses carry 3D (the
keypoints_3d stage; `poses_topic: poses_3d`), `/humans/bodies/<id>/position` (geometry_msgs/PointStamped,
metres in the frame of the 3D, the camera's optical frame or the keypoints_3d node's target_frame). A body's ID is "b" + its track ID (REP-155 IDs are topic-name tokens,
which cannot start with a digit); its topics are advertised when it appears and withdrawn when its track
has not been seen for `forget_after` seconds. Managed, like the other stages."""
from __future__ import annotations

import numpy as np
from geometry_msgs.msg import PointStamped
from hri_msgs.msg import IdsList, NormalizedPointOfInterest2D, NormalizedRegionOfInterest2D, Skeleton2D
from rclpy.lifecycle import TransitionCallbackReturn
from std_msgs.msg import Header

from alphapose_ros.core.skeletons import to_openpose_18
from alphapose_ros.msg import WholeBodyPoseArray
from alphapose_ros.ros.conversions import body_id, stamp_seconds
from alphapose_ros.ros.node_utils import declare
from alphapose_ros.ros.nodes.pose_stage import PoseStageNode


class HriBodiesNode(PoseStageNode):
    stage, out_topic = "hri bodies", ""

    def __init__(self, name: str = "hri_bodies", **kwargs):
        super().__init__(name, **kwargs)
        self.in_topic = declare(self, "poses_topic", "poses", "tracked poses to read: poses, or poses_3d for "
                                "per-body positions")
        self.forget_after = declare(self, "forget_after", 1.0, "withdraw a body's topics once its track is unseen "
                                    "this long (image time, s)", range=(0.0, 3600.0))
        self.bodies: dict[str, dict] = {}  # id -> {"last": t, "roi": pub, "skeleton": pub, "position": pub}
        self._declare_stage()

    def on_configure(self, state) -> TransitionCallbackReturn:
        self.pub = self._make_publisher(IdsList, "/humans/bodies/tracked")
        return TransitionCallbackReturn.SUCCESS

    def on_cleanup(self, state) -> TransitionCallbackReturn:
        for b in list(self.bodies):
            self._withdraw(b)
        return super().on_cleanup(state)

    def _withdraw(self, b: str) -> None:
        for pub in self.bodies.pop(b)["pubs"].values():
            self.destroy_publisher(pub)

    def _body(self, b: str) -> dict:
        if b not in self.bodies:
            base = f"/humans/bodies/{b}"
            self.bodies[b] = {"pubs": {
                "roi": self.create_publisher(NormalizedRegionOfInterest2D, f"{base}/roi", self.qos),
                "skeleton": self.create_publisher(Skeleton2D, f"{base}/skeleton2d", self.qos),
            }}
        return self.bodies[b]

    def _on_poses(self, msg: WholeBodyPoseArray) -> None:
        p = self._unpack(msg)
        if p is None:
            return
        try:
            xy, sc = to_openpose_18(p.keypoints, p.keypoint_scores, p.format_name)
        except KeyError as e:
            self.skip(f"no bodies from this pose message: {e}")
            return
        t = stamp_seconds(msg.header)
        w, h = max(int(msg.image_width), 1), max(int(msg.image_height), 1)
        scale = np.array([w, h, w, h], np.float32)
        ids = []
        for i in np.flatnonzero(p.track_ids >= 0):
            b = body_id(p.track_ids[i])
            ids.append(b)
            body = self._body(b)
            body["last"] = t
            box = np.clip(p.boxes[i] / scale, 0.0, 1.0)
            body["pubs"]["roi"].publish(NormalizedRegionOfInterest2D(
                header=msg.header, xmin=float(box[0]), ymin=float(box[1]), xmax=float(box[2]), ymax=float(box[3]),
                c=float(np.clip(p.box_scores[i], 0.0, 1.0))))
            pts = np.clip(xy[i] / scale[:2], 0.0, 1.0)
            c = np.clip(sc[i], 0.0, 1.0)
            body["pubs"]["skeleton"].publish(Skeleton2D(header=msg.header, skeleton=[
                NormalizedPointOfInterest2D(x=float(u), y=float(v), c=float(s)) for (u, v), s in zip(pts, c)]))
            if p.positions is not None and np.all(np.isfinite(p.positions[i])):
                if "position" not in body["pubs"]:
                    body["pubs"]["position"] = self.create_publisher(PointStamped, f"/humans/bodies/{b}/position",
                                                                     self.qos)
                x, y, z = (float(v) for v in p.positions[i])
                pt = PointStamped(header=Header(stamp=msg.header.stamp, frame_id=p.frame_3d or msg.header.frame_id))
                pt.point.x, pt.point.y, pt.point.z = x, y, z
                body["pubs"]["position"].publish(pt)
        gone = [b for b, body in self.bodies.items()
                if b not in ids and (t - body["last"] > self.forget_after or t < body["last"])]
        for b in gone:
            self._withdraw(b)
        self.pub.publish(IdsList(header=msg.header, ids=ids))
        self._finished(msg.header)
