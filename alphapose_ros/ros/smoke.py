"""Smoke run of the ROS layer: publish a WholeBodyPoseArray and receive it back.

Two nodes in one process exchange a synthetic 20-person Halpe-136 message over
DDS, then the received fields are compared with what was sent.
"""
from __future__ import annotations

import sys
import time

import numpy as np
import rclpy
from rclpy.executors import SingleThreadedExecutor
from std_msgs.msg import Header

from alphapose_ros.core.poses import PoseSet
from alphapose_ros.core.skeletons import get_format
from alphapose_ros.msg import KeypointLayout, WholeBodyPoseArray
from alphapose_ros.ros.conversions import layout_msg, msg_to_poses, poses_to_msg
from alphapose_ros.ros.qos import latched_qos, stage_qos


def synthetic_poses(num_people: int = 20, format_name: str = "halpe_136", seed: int = 0) -> PoseSet:
    """Random but well-formed poses, with track ids, for message tests."""
    rng = np.random.default_rng(seed)
    k = get_format(format_name).num_keypoints
    boxes = np.sort(rng.uniform(0, 640, (num_people, 2, 2)), axis=1).reshape(num_people, 4)
    return PoseSet(format_name, boxes=boxes, box_scores=rng.uniform(0.1, 1, num_people),
                   keypoints=rng.uniform(0, 640, (num_people, k, 2)),
                   keypoint_scores=rng.uniform(0, 1, (num_people, k)),
                   scores=rng.uniform(0, 3, num_people), track_ids=np.arange(num_people) + 7,
                   track_states=np.full(num_people, 2), track_ages=rng.uniform(0, 9, num_people),
                   embeddings=rng.normal(size=(num_people, 128)))


def main(argv: list[str] | None = None) -> int:
    rclpy.init(args=argv)
    sent = synthetic_poses()
    header = Header(frame_id="camera_optical_frame")
    header.stamp.sec, header.stamp.nanosec = 1700000000, 123456789
    got: dict = {}
    pub_node = rclpy.create_node("alphapose_smoke_publisher")
    sub_node = rclpy.create_node("alphapose_smoke_listener")
    pub = pub_node.create_publisher(WholeBodyPoseArray, "poses", stage_qos(5))
    layout_pub = pub_node.create_publisher(KeypointLayout, "keypoint_layout", latched_qos())
    layout_pub.publish(layout_msg(get_format("halpe_136")))
    sub_node.create_subscription(WholeBodyPoseArray, "poses", lambda m: got.setdefault("poses", m), stage_qos(5))
    sub_node.create_subscription(KeypointLayout, "keypoint_layout", lambda m: got.setdefault("layout", m),
                                 latched_qos())
    ex = SingleThreadedExecutor()
    ex.add_node(pub_node)
    ex.add_node(sub_node)
    deadline = time.monotonic() + 15
    try:
        while time.monotonic() < deadline and not ("poses" in got and "layout" in got):
            pub.publish(poses_to_msg(sent, header, 640, 480))
            ex.spin_once(timeout_sec=0.1)
    finally:
        ex.shutdown()
        pub_node.destroy_node()
        sub_node.destroy_node()
        rclpy.try_shutdown()
    if "poses" not in got or "layout" not in got:
        print("smoke: FAILED, nothing received within 15 s", file=sys.stderr)
        return 1
    back = msg_to_poses(got["poses"])
    ok = (got["poses"].header == header and np.array_equal(back.keypoints, sent.keypoints)
          and np.array_equal(back.track_ids, sent.track_ids) and len(got["layout"].keypoint_names) == 136)
    print(f"smoke: received {len(back)} poses x {back.num_keypoints} keypoints, "
          f"stamp {got['poses'].header.stamp.sec}.{got['poses'].header.stamp.nanosec:09d} "
          f"frame '{got['poses'].header.frame_id}', layout '{got['layout'].name}': {'OK' if ok else 'MISMATCH'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
