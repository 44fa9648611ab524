"""Offline mode processes every frame even when a burst of images arrives long before
their detections (a bag replayed at full speed into a slow detector)."""
import os
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.ros
sys.path.insert(0, str(Path(__file__).parent))


def test_images_arriving_far_ahead_of_detections_are_all_paired_offline(ros_msgs):
    pytest.importorskip("vision_msgs.msg", reason="vision_msgs not built (needs ../shared/interfaces)")
    import rclpy
    from rclpy.executors import MultiThreadedExecutor
    from rclpy.parameter import Parameter
    from sensor_msgs.msg import Image
    from vision_msgs.msg import Detection2DArray

    from alphapose_ros.msg import WholeBodyPoseArray
    from alphapose_ros.ros.nodes.pose_estimation import PoseEstimationNode
    from alphapose_ros.ros.qos import stage_qos
    from graph_fixture import header, messages, node_parameters

    n = 25  # more than sync_queue (10)
    ctx = rclpy.Context()
    rclpy.init(context=ctx, domain_id=150 + os.getpid() % 50)
    params = {**node_parameters()["pose_estimation"], "sync_queue": 10}
    pose = PoseEstimationNode("pose_estimation", context=ctx,
                              parameter_overrides=[Parameter(k, value=v) for k, v in params.items()])
    test = rclpy.create_node("burst_test", context=ctx)
    got = []
    test.create_subscription(WholeBodyPoseArray, "poses_raw", got.append, stage_qos(1, offline=True))
    img_pub = test.create_publisher(Image, "image", stage_qos(1, offline=True))
    det_pub = test.create_publisher(Detection2DArray, "detections", stage_qos(1, offline=True))
    ex = MultiThreadedExecutor(num_threads=2, context=ctx)
    ex.add_node(pose)
    ex.add_node(test)
    threading.Thread(target=ex.spin, daemon=True).start()
    try:
        msgs = [messages(f) for f in range(n)]
        for img, _ in msgs:
            img_pub.publish(img)
        time.sleep(1.0)  # every image is waiting before the first detection arrives
        for _, det in msgs:
            det_pub.publish(det)
        deadline = time.monotonic() + 120
        while len(got) < n and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        ex.shutdown()
        pose.destroy_node()
        test.destroy_node()
        rclpy.try_shutdown(context=ctx)
    assert [m.header.stamp for m in got] == [header(f).stamp for f in range(n)]
