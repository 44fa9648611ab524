"""config/pipeline.yaml names exactly the parameters the nodes declare, each with a description;
the presets name only declared ones; path parameters expand ~."""
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.ros
REPO = Path(__file__).resolve().parents[2]


NODES = (("detection", "detection", "DetectionNode"), ("pose_estimation", "pose_estimation", "PoseEstimationNode"),
         ("pose_nms", "pose_nms", "PoseNMSNode"), ("tracking", "tracking", "TrackingNode"),
         ("visualizer", "visualizer", "VisualizerNode"), ("keypoints_3d", "keypoints_3d", "Keypoints3DNode"),
         ("hri_bodies", "hri_bodies", "HriBodiesNode"), ("fall_detection", "fall_detection", "FallDetectionNode"),
         ("robot_distance", "robot_distance", "RobotDistanceNode"), ("video_camera", "video_camera", "VideoCameraNode"))


def test_every_node_declares_each_parameter_with_a_description_and_numbers_with_a_range_and_the_yaml_matches(
        vision_msgs, tmp_path):
    """All ten nodes: config/pipeline.yaml's section (where the node has one) names exactly what the node
    declares; every parameter has a description, every number a range; the presets name only declared ones."""
    import importlib

    import rclpy
    from rcl_interfaces.msg import ParameterType
    from rclpy.parameter import Parameter

    from alphapose_ros.ros.graph import PRESETS

    cfg = yaml.safe_load((REPO / "config/pipeline.yaml").read_text())
    presets = {p.stem: yaml.safe_load(p.read_text()) for p in sorted((REPO / "config/presets").glob("*.yaml"))}
    assert set(presets) == set(PRESETS) - {"none"}
    assert all(set(p) <= set(cfg) for p in presets.values())
    # the NMS override knobs default to -1 ("AlphaPose's value") and are optional in the file
    optional = {"delta1", "mu", "delta2", "gamma", "score_thresh", "match_thresh", "alpha"}
    numbers = (ParameterType.PARAMETER_INTEGER, ParameterType.PARAMETER_DOUBLE)
    unranged = []
    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    try:
        for module, name, cls in NODES:
            node_cls = getattr(importlib.import_module(f"alphapose_ros.ros.nodes.{module}"), cls)
            extra = [Parameter("autostart", value=False)] if name in ("detection", "pose_estimation") else []
            if name == "video_camera":
                extra = [Parameter("video", value=_video(tmp_path))]
            node = node_cls(name, context=ctx, parameter_overrides=extra)
            declared = {n for n in node._parameters if n not in ("use_sim_time", "start_type_description_service")}
            assert declared, name
            if name in cfg:
                listed = set(cfg[name]["ros__parameters"])
                assert listed <= declared, (name, listed - declared)
                assert declared - listed <= optional, (name, declared - listed - optional)
            for n in declared:
                d = node.describe_parameter(n)
                assert d.description, (name, n)
                if d.type in numbers and not (d.integer_range or d.floating_point_range):
                    unranged.append(f"{name}.{n}")
            for preset, overlay in presets.items():
                keys = set((overlay.get(name) or {}).get("ros__parameters", {}))
                assert keys <= declared, (preset, name, keys - declared)
            node.destroy_node()
    finally:
        rclpy.try_shutdown(context=ctx)
    assert not unranged, f"numbers declared without a range: {unranged}"


def _video(tmp_path) -> str:
    """A two-frame video for the camera node to open."""
    import cv2
    import numpy as np

    path = tmp_path / "v.avi"
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for _ in range(2):
        w.write(np.zeros((48, 64, 3), np.uint8))
    w.release()
    return str(path)


def test_launch_file_compiles():
    import py_compile

    py_compile.compile(str(REPO / "launch/pipeline.launch.py"), doraise=True)


def test_path_parameters_expand_the_home_directory(vision_msgs):
    import os

    import rclpy
    from rclpy.parameter import Parameter

    from alphapose_ros.ros.nodes.detection import DetectionNode

    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    try:
        node = DetectionNode("detection", context=ctx, parameter_overrides=[
            Parameter("autostart", value=False), Parameter("weights", value="~/models/yolox_l.pth")])
        assert node.p["weights"] == os.path.expanduser("~/models/yolox_l.pth") != "~/models/yolox_l.pth"
        node.destroy_node()
    finally:
        rclpy.try_shutdown(context=ctx)


def test_out_of_range_values_are_refused_at_start_and_on_set(vision_msgs):
    import rclpy
    from rclpy.parameter import Parameter

    from alphapose_ros.ros.nodes.detection import DetectionNode
    from alphapose_ros.ros.nodes.tracking import TrackingNode

    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    try:
        with pytest.raises(ValueError, match=r"parameter confidence is outside its range \[0.0, 1.0\]"):
            DetectionNode("detection", context=ctx, parameter_overrides=[
                Parameter("autostart", value=False), Parameter("confidence", value=1.5)])
        node = TrackingNode("tracking", context=ctx)
        r = node.describe_parameter("queue_depth").integer_range[0]
        assert (r.from_value, r.to_value) == (1, 1000)
        result = node.set_parameters([Parameter("frame_rate", value=-5.0)])[0]
        assert not result.successful and node.get_parameter("frame_rate").value == 30.0
        node.destroy_node()
    finally:
        rclpy.try_shutdown(context=ctx)


def test_tracking_node_picks_its_tracker_by_parameter(ros_context):
    from rclpy.parameter import Parameter

    from alphapose_ros.core.tracking.msim import MSIMTracker
    from alphapose_ros.core.tracking.poseflow import PoseFlowTracker
    from alphapose_ros.ros.nodes.tracking import TrackingNode

    for kind, cls in (("msim", MSIMTracker), ("poseflow", PoseFlowTracker)):
        node = TrackingNode("tracking", context=ros_context, parameter_overrides=[Parameter("tracker", value=kind)])
        assert isinstance(node.tracker, cls)
        node.destroy_node()
    with pytest.raises(ValueError, match="tracker must be one of msim, poseflow, not 'sort'"):
        TrackingNode("tracking", context=ros_context, parameter_overrides=[Parameter("tracker", value="sort")])
