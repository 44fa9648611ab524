"""Helper process for test_dds_two_process: `pub` or `sub` one WholeBodyPoseArray."""
import json
import sys
import time

import numpy as np
import rclpy
from std_msgs.msg import Header

from alphapose_ros.msg import WholeBodyPoseArray
from alphapose_ros.ros.conversions import msg_to_poses, poses_to_msg
from alphapose_ros.ros.qos import stage_qos
from alphapose_ros.ros.smoke import synthetic_poses


def main(role: str, out_path: str) -> int:
    rclpy.init()
    node = rclpy.create_node(f"dds_peer_{role}")
    if role == "pub":
        h = Header(frame_id="cam_optical")
        h.stamp.sec, h.stamp.nanosec = 1234, 5678
        pub = node.create_publisher(WholeBodyPoseArray, "dds_test/poses", stage_qos(10))
        msg = poses_to_msg(synthetic_poses(20, "halpe_136", seed=3), h, 640, 480)
        end = time.monotonic() + 30
        while time.monotonic() < end:
            pub.publish(msg)
            rclpy.spin_once(node, timeout_sec=0.05)
        return 0
    got = []
    node.create_subscription(WholeBodyPoseArray, "dds_test/poses", got.append, stage_qos(10))
    end = time.monotonic() + 30
    while not got and time.monotonic() < end:
        rclpy.spin_once(node, timeout_sec=0.1)
    if not got:
        return 2
    m = got[0]
    p = msg_to_poses(m)
    json.dump({"stamp": [m.header.stamp.sec, m.header.stamp.nanosec], "frame_id": m.header.frame_id,
               "format": m.keypoint_format, "num_keypoints": m.num_keypoints,
               "size": [m.image_width, m.image_height],
               **{k: np.asarray(getattr(p, k)).tolist() for k in
                  ("boxes", "box_scores", "keypoints", "keypoint_scores", "scores", "track_ids",
                   "track_states", "track_ages", "embeddings")}}, open(out_path, "w"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else ""))
