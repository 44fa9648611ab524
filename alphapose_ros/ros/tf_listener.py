"""Transforms for a node: tf2_ros's buffer and listener where tf2_ros is installed, otherwise the core's
TFBuffer (core/people3d/tf_buffer.py, tf2's semantics) fed from /tf and /tf_static with the QoS tf2_ros's
listener uses (reliable, depth 100; transient local for /tf_static, so static frames published before
this node started arrive too)."""
from __future__ import annotations

from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

from alphapose_ros.core.people3d.tf_buffer import Rigid, TFBuffer, TransformError

TF_QOS = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.VOLATILE,
                    history=HistoryPolicy.KEEP_LAST)
TF_STATIC_QOS = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE,
                           durability=DurabilityPolicy.TRANSIENT_LOCAL, history=HistoryPolicy.KEEP_LAST)


class TransformSource:
    """`lookup(target, source, t)` -> Rigid (points in source to target at image time t), or TransformError."""

    def __init__(self, node, cache_time: float = 10.0, use_tf2_ros: bool = True):
        self.node = node
        self.subs = []
        self.tf2 = None
        if use_tf2_ros:
            try:
                import tf2_ros
                from rclpy.duration import Duration

                self.tf2 = tf2_ros
                self.buffer = tf2_ros.Buffer(cache_time=Duration(seconds=cache_time))
                self.listener = tf2_ros.TransformListener(self.buffer, node)
                self.kind = "tf2_ros"
                return
            except ImportError:
                pass
        from tf2_msgs.msg import TFMessage

        self.kind = "own buffer"
        self.buffer = TFBuffer(cache_time)
        self.bad: set[str] = set()
        self.subs = [node.create_subscription(TFMessage, "/tf", lambda m: self._on_tf(m, False), TF_QOS),
                     node.create_subscription(TFMessage, "/tf_static", lambda m: self._on_tf(m, True), TF_STATIC_QOS)]

    def _on_tf(self, msg, static: bool) -> None:
        for ts in msg.transforms:
            tr, rot = ts.transform.translation, ts.transform.rotation
            try:
                self.buffer.set_transform(ts.header.frame_id, ts.child_frame_id,
                                          ts.header.stamp.sec + ts.header.stamp.nanosec * 1e-9,
                                          (tr.x, tr.y, tr.z), (rot.x, rot.y, rot.z, rot.w), static)
            except ValueError as e:
                if str(e) not in self.bad:  # a broken transform: said once, the others still taken
                    self.bad.add(str(e))
                    self.node.get_logger().warning(f"ignoring a transform on {'/tf_static' if static else '/tf'}: {e}")

    def lookup(self, target: str, source: str, t: float) -> Rigid:
        if self.tf2 is None:
            return self.buffer.lookup(target, source, t)
        import numpy as np
        from rclpy.time import Time

        try:
            ts = self.buffer.lookup_transform(target, source, Time(nanoseconds=int(round(t * 1e9))))
        except self.tf2.TransformException as e:  # tf2's lookup, connectivity and extrapolation errors
            raise TransformError(str(e)) from e
        tr, rot = ts.transform.translation, ts.transform.rotation
        return Rigid(np.array([tr.x, tr.y, tr.z]), np.array([rot.x, rot.y, rot.z, rot.w]))

    def close(self) -> None:
        for sub in self.subs:
            self.node.destroy_subscription(sub)
        self.subs = []
