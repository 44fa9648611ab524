"""The launch file and the package's runner start the same graph (both from ros/graph.py):
checked by running the launch file's node generation against stand-ins for `launch`,
`launch_ros` and `ament_index_python`, which are not installable here."""
import importlib.util
import sys
import types
from pathlib import Path

import pytest

from alphapose_ros.ros.graph import GraphOptions, plan
from alphapose_ros.ros.runner import build_parser, commands, options

REPO = Path(__file__).resolve().parents[2]


class _Node:
    def __init__(self, **kw):
        self.kw = kw


def _load_launch(monkeypatch, share: str):
    launch = types.ModuleType("launch")
    launch.LaunchDescription = list
    actions = types.ModuleType("launch.actions")
    actions.DeclareLaunchArgument = lambda name, default_value, description: ("arg", name, default_value)
    actions.OpaqueFunction = lambda function: ("opaque", function)
    subs = types.ModuleType("launch.substitutions")

    class LaunchConfiguration:
        def __init__(self, name):
            self.name = name

        def perform(self, context):
            return context[self.name]

    subs.LaunchConfiguration = LaunchConfiguration
    launch_ros = types.ModuleType("launch_ros")
    ros_actions = types.ModuleType("launch_ros.actions")
    ros_actions.Node = _Node
    ament = types.ModuleType("ament_index_python")
    packages = types.ModuleType("ament_index_python.packages")
    packages.get_package_share_directory = lambda pkg: share
    for name, mod in (("launch", launch), ("launch.actions", actions), ("launch.substitutions", subs),
                      ("launch_ros", launch_ros), ("launch_ros.actions", ros_actions),
                      ("ament_index_python", ament), ("ament_index_python.packages", packages)):
        monkeypatch.setitem(sys.modules, name, mod)
    spec = importlib.util.spec_from_file_location("pipeline_launch", REPO / "launch/pipeline.launch.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.generate_launch_description()


def _launched(ld, **args):
    context = {e[1]: e[2] for e in ld if e[0] == "arg"}
    unknown = set(args) - set(context)
    assert not unknown, f"launch file lacks arguments {unknown}"
    context.update(args)
    (fn,) = [e[1] for e in ld if e[0] == "opaque"]
    return fn(context)


def _from_launch(node: _Node) -> dict:
    kw = node.kw
    *files, overrides = kw["parameters"]
    return {"exe": kw["executable"], "name": kw.get("name"), "files": files,
            "params": {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in overrides.items()},
            "remaps": list(kw["remappings"]), "flags": list(kw.get("arguments", [])),
            "ns": kw["namespace"] or None}


def _from_command(cmd: list[str]) -> dict:
    i = cmd.index("--ros-args")
    out = {"exe": Path(cmd[1]).name, "name": None, "files": [], "params": {}, "remaps": [], "flags": cmd[2:i],
           "ns": None}
    rest = cmd[i + 1:]
    for opt, val in zip(rest[::2], rest[1::2]):
        if opt == "--params-file":
            out["files"].append(val)
        elif opt == "-p":
            k, v = val.split(":=")
            out["params"][k] = v
        elif val.startswith("__node:="):
            out["name"] = val.split(":=")[1]
        elif val.startswith("__ns:="):
            out["ns"] = val.split(":=")[1].lstrip("/")
        else:
            out["remaps"].append(tuple(val.split(":=")))
    return out


CASES = [
    ({}, []),
    ({"use_composition": "false"}, ["--separate"]),
    ({"use_composition": "false", "tracking": "false", "visualization": "false", "image": "/cam/image_raw",
      "device": "cuda:0", "namespace": "robot1", "use_sim_time": "true", "autostart": "false",
      "preset": "gpu_halpe136", "camera_reliable": "true"},
     ["--separate", "--no-tracking", "--no-visualization", "--image", "/cam/image_raw", "--device", "cuda:0",
      "--namespace", "robot1", "--use-sim-time", "--no-autostart", "--preset", "gpu_halpe136",
      "--camera-reliable"]),
    ({"tracking": "false", "visualization": "false", "namespace": "robot2"},
     ["--no-tracking", "--no-visualization", "--namespace", "robot2"]),
]


@pytest.mark.parametrize("launch_args, runner_args", CASES)
def test_launch_file_and_runner_start_the_same_graph(monkeypatch, launch_args, runner_args):
    share = str(REPO)
    monkeypatch.setattr("alphapose_ros.ros.runner.share_dir", lambda: share)
    launched = [_from_launch(n) for n in _launched(_load_launch(monkeypatch, share), **launch_args)]
    a = build_parser().parse_args(runner_args)
    run = [_from_command(c) for c in commands(plan(options(a), share), a.separate, a.namespace)]
    assert launched == run


def test_leaving_tracking_out_makes_pose_nms_publish_the_final_poses():
    p = plan(GraphOptions(tracking=False), str(REPO))
    assert "tracking" not in [s.name for s in p.nodes] and ("poses_nms", "poses") in p.remappings
    with pytest.raises(ValueError, match="unknown preset"):
        plan(GraphOptions(preset="fast"), str(REPO))
