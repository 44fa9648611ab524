"""The node graph end to end: images and boxes in, tracked WholeBodyPoseArray out, with
the input stamps and frame_ids and stable IDs on a moving scene (composed in one
process, and as separate processes)."""
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.ros
REPO = Path(__file__).resolve().parents[2]
FRAMES = 8


def _drive(node, received, timeout=90.0):
    """Publish FRAMES frames from `node`, wait until all tracked messages arrived."""
    from vision_msgs.msg import Detection2DArray
    from sensor_msgs.msg import Image

    from alphapose_ros.ros.qos import stage_qos
    from graph_fixture import messages

    img_pub = node.create_publisher(Image, "image", stage_qos(1, offline=True))
    det_pub = node.create_publisher(Detection2DArray, "detections_in", stage_qos(1, offline=True))
    deadline = time.monotonic() + timeout
    while (img_pub.get_subscription_count() < 1 or det_pub.get_subscription_count() < 1) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    for f in range(FRAMES):
        img, det = messages(f)
        det_pub.publish(det)
        img_pub.publish(img)
        time.sleep(0.05)
    while len(received) < FRAMES and time.monotonic() < deadline:
        time.sleep(0.1)


def _check(received):
    from alphapose_ros.ros.conversions import msg_to_poses
    from graph_fixture import header

    assert len(received) == FRAMES, f"got {len(received)} of {FRAMES} frames"
    ids_by_side = {"left": set(), "right": set()}
    for f, m in enumerate(sorted(received, key=lambda m: (m.header.stamp.sec, m.header.stamp.nanosec))):
        want = header(f)
        assert m.header.stamp == want.stamp and m.header.frame_id == want.frame_id
        p = msg_to_poses(m)
        assert len(p) == 2 and p.num_keypoints == 17 and (p.track_ids > 0).all()
        cx = (p.boxes[:, 0] + p.boxes[:, 2]) / 2
        start_left = 40 + 6 * f
        for tid, x in zip(p.track_ids, cx):
            ids_by_side["left" if abs(x - start_left) < abs(x - (260 - 6 * f)) else "right"].add(int(tid))
    assert len(ids_by_side["left"]) == 1 and len(ids_by_side["right"]) == 1
    assert ids_by_side["left"] != ids_by_side["right"]


def test_composed_graph_tracks_a_moving_scene(vision_msgs):
    import rclpy
    from rclpy.executors import MultiThreadedExecutor
    from rclpy.parameter import Parameter

    from alphapose_ros.msg import WholeBodyPoseArray
    from alphapose_ros.ros.nodes.detection import DetectionNode
    from alphapose_ros.ros.nodes.pose_estimation import PoseEstimationNode
    from alphapose_ros.ros.nodes.pose_nms import PoseNMSNode
    from alphapose_ros.ros.nodes.tracking import TrackingNode
    from alphapose_ros.ros.nodes.visualizer import VisualizerNode
    from alphapose_ros.ros.qos import stage_qos
    from sensor_msgs.msg import Image
    from visualization_msgs.msg import MarkerArray
    sys.path.insert(0, str(Path(__file__).parent))
    from graph_fixture import node_parameters

    ctx = rclpy.Context()
    rclpy.init(context=ctx, domain_id=60 + os.getpid() % 40)
    params = node_parameters()

    def make(cls, name):
        return cls(name, context=ctx, parameter_overrides=[Parameter(k, value=v) for k, v in params[name].items()])

    nodes = [make(DetectionNode, "detection"), make(PoseEstimationNode, "pose_estimation"),
             make(PoseNMSNode, "pose_nms"), make(TrackingNode, "tracking"), make(VisualizerNode, "visualizer")]
    test_node = rclpy.create_node("graph_test", context=ctx)
    received, annotated, markers = [], [], []
    test_node.create_subscription(WholeBodyPoseArray, "poses", received.append, stage_qos(1, offline=True))
    test_node.create_subscription(Image, "image_annotated", annotated.append, stage_qos(1, offline=True))
    test_node.create_subscription(MarkerArray, "markers", markers.append, stage_qos(1, offline=True))
    ex = MultiThreadedExecutor(num_threads=4, context=ctx)
    for n in nodes + [test_node]:
        ex.add_node(n)
    th = threading.Thread(target=ex.spin, daemon=True)
    th.start()
    try:
        _drive(test_node, received)
        deadline = time.monotonic() + 30  # the visualiser is a stage behind the tracker
        while (len(annotated) < len(received) or len(markers) < len(received)) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        ex.shutdown()
        for n in nodes + [test_node]:
            n.destroy_node()
        rclpy.try_shutdown(context=ctx)
    _check(received)
    stamps = sorted((m.header.stamp.sec, m.header.stamp.nanosec) for m in received)
    assert sorted((m.header.stamp.sec, m.header.stamp.nanosec) for m in annotated) == stamps
    assert all(m.encoding == "bgr8" and m.height == 240 for m in annotated)
    assert len(markers) == FRAMES and all(len(m.markers) == 3 for m in markers)  # DELETEALL + 2 people


def test_separate_processes_track_a_moving_scene(vision_msgs, tmp_path):
    import rclpy
    from rclpy.executors import SingleThreadedExecutor

    from alphapose_ros.msg import WholeBodyPoseArray
    from alphapose_ros.ros.qos import stage_qos
    sys.path.insert(0, str(Path(__file__).parent))
    from graph_fixture import node_parameters

    from alphapose_ros.ros.graph import GraphOptions, plan
    from alphapose_ros.ros.runner import commands

    domain = 20 + os.getpid() % 30
    env = dict(os.environ, ROS_DOMAIN_ID=str(domain))
    # started as the runner starts it (the launch file's plan), with the fixture's parameters
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({n: {"ros__parameters": v} for n, v in node_parameters().items()}))
    p = plan(GraphOptions(params_file=str(params), preset="none", visualization=False), str(REPO))
    assert [s.name for s in p.nodes] == ["detection", "pose_estimation", "pose_nms", "tracking"]
    procs = [subprocess.Popen(cmd, env=env, stdout=open(tmp_path / f"{s.name}.log", "w"), stderr=subprocess.STDOUT)
             for s, cmd in zip(p.nodes, commands(p, separate=True))]
    ctx = rclpy.Context()
    rclpy.init(context=ctx, domain_id=domain)
    node = rclpy.create_node("graph_test", context=ctx)
    received = []
    node.create_subscription(WholeBodyPoseArray, "poses", received.append, stage_qos(1, offline=True))
    ex = SingleThreadedExecutor(context=ctx)
    ex.add_node(node)
    th = threading.Thread(target=ex.spin, daemon=True)
    th.start()
    try:
        _drive(node, received, timeout=120)
    finally:
        ex.shutdown()
        node.destroy_node()
        rclpy.try_shutdown(context=ctx)
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
    logs = "\n".join(f"--- {f.name}\n{f.read_text()[-2000:]}" for f in tmp_path.glob("*.log"))
    assert len(received) == FRAMES, logs
    _check(received)
