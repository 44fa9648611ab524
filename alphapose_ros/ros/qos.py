"""QoS profiles of every topic, in one place.

The inter-stage topics are the paper's bounded FIFO queues: keep-last with a depth
parameter, so a slow stage drops the oldest frames instead of piling up latency.
Offline replay uses reliable delivery and a depth large enough to lose nothing.
"""
from __future__ import annotations

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

    return declare(node, "camera_reliable", False, "subscribe to the camera reliably (the camera must publish "
                   "reliably): large images can be lost whole over best-effort DDS")


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
