"""Compressed images end to end: a bag recorded with PNG-compressed images only, replayed into the whole graph
started with `--image-transport compressed` (image_transport:=compressed in the launch), gives exactly the
poses and track IDs its raw twin gives (same pixels, same poses), and the visualiser draws on it too."""
import os
import subprocess
import sys
import time

import numpy as np
import pytest
import yaml

pytestmark = pytest.mark.ros
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _offline_params(tmp_path) -> str:
    cfg = yaml.safe_load(open(os.path.join(REPO, "config/pipeline.yaml")))
    for node in ("detection", "pose_estimation", "pose_nms", "tracking", "visualizer"):
        cfg[node]["ros__parameters"]["offline"] = True
    path = tmp_path / "offline.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return str(path)


def _replay(bag, params: str, transport: str, domain: int) -> tuple[list, int]:
    """Start the graph, publish the bag's camera messages in order, return (poses messages, annotated images)."""
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.serialization import deserialize_message
    from rosbags.rosbag2 import Reader
    from sensor_msgs.msg import CompressedImage, Image

    from alphapose_ros.msg import WholeBodyPoseArray
    from alphapose_ros.ros.qos import stage_qos

    with Reader(bag) as r:
        conn = [c for c in r.connections if c.topic.startswith("/cam/image_raw")][0]
        msg_type = CompressedImage if conn.msgtype.endswith("CompressedImage") else Image
        frames = [deserialize_message(raw, msg_type) for _, _, raw in r.messages(connections=[conn])]
    proc = subprocess.Popen([sys.executable, "-m", "alphapose_ros.ros.runner", "--params-file", params, "--preset",
                             "none", "--image", "/cam/image_raw", "--image-transport", transport],
                            env=dict(os.environ, ROS_DOMAIN_ID=str(domain)), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    ctx = rclpy.Context()
    rclpy.init(context=ctx, domain_id=domain)
    node = rclpy.create_node("bag_player", context=ctx)
    q = stage_qos(1, True)
    pub = node.create_publisher(msg_type, conn.topic, q)
    got, drawn = [], []
    node.create_subscription(WholeBodyPoseArray, "/poses", got.append, q)
    node.create_subscription(Image, "/image_annotated", drawn.append, q)
    ex = SingleThreadedExecutor(context=ctx)
    ex.add_node(node)
    try:
        end = time.monotonic() + 90
        while pub.get_subscription_count() < 3 and time.monotonic() < end:  # detection, pose, visualiser
            ex.spin_once(timeout_sec=0.1)
        assert pub.get_subscription_count() == 3, f"graph not up on {conn.topic}"
        for f in frames:
            pub.publish(f)
            ex.spin_once(timeout_sec=0.05)
        end = time.monotonic() + 120
        while (len(got) < len(frames) or len(drawn) < len(frames)) and time.monotonic() < end:
            ex.spin_once(timeout_sec=0.1)
    finally:
        ex.shutdown()
        node.destroy_node()
        rclpy.try_shutdown(context=ctx)
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert "Traceback" not in out, out
    return got, len(drawn)


def test_a_compressed_only_bag_gives_the_poses_of_its_raw_twin(footage, mediapipe_models, tmp_path):
    from alphapose_ros.core.io.bags import video_to_bag
    from alphapose_ros.ros.conversions import msg_to_poses

    n = 6
    for name, compressed in (("raw", ""), ("png", "png")):
        assert video_to_bag(footage / "vtest.avi", tmp_path / name, topic="/cam/image_raw", max_frames=n,
                            compressed=compressed, size=(384, 288)) == n
    params = _offline_params(tmp_path)
    domain = 30 + os.getpid() % 50
    raw, raw_drawn = _replay(tmp_path / "raw", params, "raw", domain)
    png, png_drawn = _replay(tmp_path / "png", params, "compressed", domain)
    assert len(raw) == len(png) == n and raw_drawn == png_drawn == n
    assert sum(len(m.poses) for m in raw) > 0
    for a, b in zip(raw, png):
        assert a.header == b.header
        pa, pb = msg_to_poses(a), msg_to_poses(b)
        assert np.array_equal(pa.keypoints, pb.keypoints) and np.array_equal(pa.track_ids, pb.track_ids)
        assert np.array_equal(pa.keypoint_scores, pb.keypoint_scores) and np.array_equal(pa.boxes, pb.boxes)
