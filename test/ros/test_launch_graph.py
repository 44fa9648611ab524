"""The launch file and the package's runner start the same graph: both turn their arguments into one
GraphOptions (ros/graph.py) and build the nodes from its plan. The launch file itself runs under the
real `ros2 launch` in test_launch_real.py."""
from pathlib import Path

import pytest

from alphapose_ros.ros.graph import LAUNCH_ARGUMENTS, GraphOptions, container_flags, launch_options, plan
from alphapose_ros.ros.runner import build_parser, commands, options

REPO = Path(__file__).resolve().parents[2]
DEFAULTS = {name: default for name, default, _ in LAUNCH_ARGUMENTS}

CASES = [
    ({}, []),
    ({"use_composition": "false"}, ["--separate"]),
    ({"use_composition": "false", "tracking": "false", "visualization": "false", "image": "/cam/image_raw",
      "device": "cuda:0", "namespace": "robot1", "use_sim_time": "true", "autostart": "false",
      "preset": "gpu_halpe136", "camera_reliable": "true", "log_level": "debug"},
     ["--separate", "--no-tracking", "--no-visualization", "--image", "/cam/image_raw", "--device", "cuda:0",
      "--namespace", "robot1", "--use-sim-time", "--no-autostart", "--preset", "gpu_halpe136",
      "--camera-reliable", "--log-level", "debug"]),
    ({"tracking": "false", "visualization": "false", "namespace": "robot2"},
     ["--no-tracking", "--no-visualization", "--namespace", "robot2"]),
]


@pytest.mark.parametrize("launch_args, runner_args", CASES)
def test_launch_arguments_and_runner_flags_give_the_same_graph_options(launch_args, runner_args):
    unknown = set(launch_args) - set(DEFAULTS)
    assert not unknown, f"launch file lacks arguments {unknown}"
    given = {**DEFAULTS, **launch_args}
    a = build_parser().parse_args(runner_args)
    assert launch_options(given.__getitem__) == options(a)
    assert (given["use_composition"] == "false") == a.separate and given["log_level"] == a.log_level


def test_every_launch_argument_has_a_runner_flag():
    flags = {opt for action in build_parser()._actions for opt in action.option_strings}
    to_flag = {"use_composition": "--separate", "detection": "--no-detection", "tracking": "--no-tracking", "visualization": "--no-visualization",
               "autostart": "--no-autostart"}
    for name, _, _ in LAUNCH_ARGUMENTS:
        assert to_flag.get(name, "--" + name.replace("_", "-")) in flags, name


def test_runner_commands_carry_the_log_level_and_one_process_per_node_when_separate(monkeypatch):
    monkeypatch.setattr("alphapose_ros.ros.runner.share_dir", lambda: str(REPO))
    a = build_parser().parse_args(["--separate", "--log-level", "warn", "--namespace", "r1"])
    cmds = commands(plan(options(a), str(REPO)), a.separate, a.namespace, a.log_level)
    assert [Path(c[1]).name for c in cmds] == ["detection_node", "pose_estimation_node", "pose_nms_node",
                                                "tracking_node", "visualizer_node"]
    for c in cmds:
        i = c.index("--ros-args")
        assert "--log-level" in c[i:] and c[c.index("--log-level") + 1] == "warn" and "__ns:=/r1" in c


def test_leaving_tracking_out_makes_pose_nms_publish_the_final_poses():
    p = plan(GraphOptions(tracking=False), str(REPO))
    assert "tracking" not in [s.name for s in p.nodes] and ("poses_nms", "poses") in p.remappings
    with pytest.raises(ValueError, match="unknown preset"):
        plan(GraphOptions(preset="fast"), str(REPO))


def test_depth_and_compressed_transport_remap_both_compressed_twins_and_feed_the_consumers_3d():
    p = plan(GraphOptions(image="/cam/color/image_raw", depth="/cam/depth/image_raw", image_transport="compressed",
                          hri=True, fall_detection=True), str(REPO))
    remaps = dict(p.remappings)
    assert remaps["image/compressed"] == "/cam/color/image_raw/compressed"
    assert remaps["depth/compressedDepth"] == "/cam/depth/image_raw/compressedDepth"
    assert remaps["camera_info"] == "/cam/color/camera_info" and remaps["depth"] == "/cam/depth/image_raw"
    assert p.parameters["compressed"] is True and p.parameters["poses_topic"] == "poses_3d"
    assert {"keypoints_3d", "hri_bodies", "fall_detection"} <= {s.name for s in p.nodes}
    with pytest.raises(ValueError, match="image_transport"):
        plan(GraphOptions(image_transport="theora"), str(REPO))


def test_robot_frames_and_distance_options_reach_the_3d_stages_and_need_depth():
    p = plan(GraphOptions(depth="/cam/depth", target_frame="base_link", tf=True, robot_links="/robot/links.yaml"),
             str(REPO))
    assert p.parameters["target_frame"] == "base_link" and p.parameters["tf"] is True
    assert p.parameters["links_file"] == "/robot/links.yaml" and "robot_distance" in {s.name for s in p.nodes}
    assert "--no-robot-distance" not in container_flags(p)
    assert "robot_distance" not in {s.name for s in plan(GraphOptions(depth="/cam/depth"), str(REPO)).nodes}
    for opts in ({"target_frame": "map"}, {"tf": True}, {"robot_links": "/robot/links.yaml"}):
        with pytest.raises(ValueError, match="need 3D"):
            plan(GraphOptions(**opts), str(REPO))


def test_engine_is_set_on_every_node_from_the_launch_argument_and_unknown_ones_are_refused():
    from alphapose_ros.core.engines.runtimes import ENGINES
    from alphapose_ros.ros.graph import ENGINES as GRAPH_ENGINES

    assert GRAPH_ENGINES == ENGINES
    assert plan(GraphOptions(engine="openvino"), str(REPO)).parameters["engine"] == "openvino"
    assert "engine" not in plan(GraphOptions(), str(REPO)).parameters
    with pytest.raises(ValueError, match="unknown engine 'tensorrt'"):
        plan(GraphOptions(engine="tensorrt"), str(REPO))


def test_the_container_leaves_out_stages_with_the_runners_flag_names():
    flags = {opt for action in build_parser()._actions for opt in action.option_strings}
    p = plan(GraphOptions(detection=False, tracking=False, visualization=False), str(REPO))
    assert {"--no-detection", "--no-tracking", "--no-visualization"} <= set(container_flags(p)) and \
        {"--no-detection", "--no-tracking", "--no-visualization"} <= flags
