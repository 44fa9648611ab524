"""QoS profiles of every topic, in one place.

The inter-stage topics are the paper's bounded FIFO queues: keep-last with a depth
parameter, so a slow stage drops the oldest frames instead of piling up latency.
Offline replay uses reliable delivery and a depth large enough to lose nothing.
"""
from __future__ import annotations

from typing import Callable

from rclpy.qos import (DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy,
                       qos_profile_sensor_data)


def camera_qos(depth: int = 1, reliable: bool = False) -> QoSProfile:
    """Camera input: the sensor-data profile (best effort, volatile, keep-last), which any camera
    driver can feed. `reliable`: for reliable publishers of large images, which best-effort
    delivery can lose entirely (measured here with Fast DDS: 640x480 bgr8 never arrived
    best effort, 480x360 did)."""
    q = QoSProfile(**{k: getattr(qos_profile_sensor_data, k) for k in ("reliability", "durability", "history")},
                   depth=depth)
    if reliable:
        q.reliability = ReliabilityPolicy.RELIABLE
    return q


def declare_camera_reliable(node) -> bool:
    """The `camera_reliable` parameter of every node that reads the camera."""
    from alphapose_ros.ros.node_utils import declare

    return declare(node, "camera_reliable", False, "always subscribe to the camera reliably; false: match the "
                   "camera's publishers (reliable when all of them are, else best effort)")


def publishers_reliable(node, topic: str) -> bool | None:
    """True when every publisher of `topic` is reliable, False when any is best effort, None with none."""
    pubs = node.get_publishers_info_by_topic(node.resolve_topic_name(topic))
    if not pubs:
        return None
    return all(p.qos_profile.reliability == ReliabilityPolicy.RELIABLE for p in pubs)


class CameraSubscription:
    """Keeps a camera subscription's reliability matched to the camera's publishers, as a camera user
    expects: reliable publishers get a reliable subscription (over best effort, DDS can lose large
    frames whole), best-effort ones a best-effort subscription (a reliable one would receive nothing).
    Until a publisher appears it subscribes best effort, which both kinds can feed, and checks the
    publishers every `period` seconds, re-subscribing through `subscribe(qos)` when they change.
    `reliable` forces a reliable subscription (the camera_reliable parameter)."""

    def __init__(self, node, topic: str, depth: int, reliable: bool, subscribe: Callable[[QoSProfile], None],
                 period: float = 0.5):
        self.node, self.topic, self.depth = node, topic, depth
        self.subscribe = subscribe
        self.qos = camera_qos(depth, reliable or bool(publishers_reliable(node, topic)))
        self.timer = None if reliable else node.create_timer(period, self.check)
        subscribe(self.qos)

    def check(self) -> None:
        want = publishers_reliable(self.node, self.topic)
        if want is None or want == (self.qos.reliability == ReliabilityPolicy.RELIABLE):
            return
        self.qos = camera_qos(self.depth, want)
        self.node.get_logger().info(f"camera {self.node.resolve_topic_name(self.topic)}: publishers are "
                                    f"{'reliable' if want else 'best effort'}; subscribing to match")
        self.subscribe(self.qos)

    def close(self) -> None:
        if self.timer is not None:
            self.node.destroy_timer(self.timer)
            self.timer = None


OFFLINE_DEPTH = 1000


def stage_qos(depth: int, offline: bool = False) -> QoSProfile:
    """An inter-stage queue of `depth` messages (reliable; the depth bounds the queue).

    offline: a deep transient-local queue, so nothing is lost even to a subscriber that
    is discovered after the first messages were sent (bag replay, batch runs).
    """
    if offline:
        return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=OFFLINE_DEPTH,
                          reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL)
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=max(1, int(depth)),
                      reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.VOLATILE)


def latched_qos() -> QoSProfile:
    """Published once, delivered to late subscribers (keypoint layouts)."""
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=16,
                      reliability=ReliabilityPolicy.RELIABLE,
                      durability=DurabilityPolicy.TRANSIENT_LOCAL)
