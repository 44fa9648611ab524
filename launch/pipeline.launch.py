"""ros2 launch alphapose_ros pipeline.launch.py [image:=/camera/image_raw] [preset:=cpu|rtmw_cpu|...|none]
    [device:=cuda] [engine:=onnxruntime] [use_composition:=true|false] [detection:=true|false]
    [tracking:=true|false] [visualization:=true|false]
    [namespace:=...] [use_sim_time:=true] [params_file:=...] [autostart:=true|false] [camera_reliable:=false]
    [log_level:=info] [image_transport:=raw|compressed] [depth:=/camera/aligned_depth_to_color/image_raw]
    [camera_info:=/camera/color/camera_info] [hri:=true] [fall_detection:=true] [target_frame:=base_link]
    [tf:=true] [robot_links:=config/robot_links_example.yaml] [respawn:=true|false] [watchdog:=30]

Parameters: config/pipeline.yaml (or params_file), then the preset's overlay from
config/presets/, then device / use_sim_time / autostart. Starts detection -> pose estimation
-> pose NMS -> tracking (-> visualiser, keypoints 3D, ROS4HRI bodies, fall detection), in one process (use_composition, the default: the
`pipeline` container) or one process per node. The nodes, files and remappings come from
alphapose_ros/ros/graph.py, which the package's own runner (python -m alphapose_ros.ros.runner)
uses too, so both start the same graph. A node process that freezes ends after `watchdog` s
(ros/watchdog.py) and, like one that crashes, is started again (respawn).
"""
from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import (DeclareLaunchArgument, OpaqueFunction, RegisterEventHandler, TimerAction,
                            UnregisterEventHandler)
from launch.event_handlers import OnProcessExit
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from alphapose_ros.ros.graph import LAUNCH_ARGUMENTS, container_flags, launch_options, plan
from alphapose_ros.ros.watchdog import WATCHDOG_VAR, timeout_from_env


RESPAWN_DELAY_S = 2.0


def _nodes(context):
    def arg(name: str) -> str:
        return LaunchConfiguration(name).perform(context)

    o = launch_options(arg)
    p = plan(o, get_package_share_directory("alphapose_ros"))
    watchdog = timeout_from_env({WATCHDOG_VAR: arg("watchdog")})  # a bad value stops the launch, saying why
    common = dict(package="alphapose_ros", namespace=o.namespace, output="screen",
                  parameters=[*p.parameter_files, p.parameters], remappings=list(p.remappings),
                  ros_arguments=["--log-level", arg("log_level")], additional_env={WATCHDOG_VAR: f"{watchdog:g}"})
    if arg("use_composition").lower() in ("true", "1", "yes"):  # no name= here: it would rename every node
        each = [dict(executable="pipeline", arguments=container_flags(p), **common)]
    else:
        each = [dict(executable=s.executable, name=s.name, **common) for s in p.nodes]
    if arg("respawn").lower() not in ("true", "1", "yes"):
        return [Node(**kw) for kw in each]
    return [a for kw in each for a in _started_again_when_it_fails(kw)]


def _started_again_when_it_fails(node_kwargs: dict) -> list:
    """A node process, started again RESPAWN_DELAY_S after it ends with a non-zero code outside a shutdown (a
    crash, or a freeze its watchdog ended). Not launch's own respawn, which also restarts a node that ended
    cleanly on the same Ctrl-C as launch, and then never finishes shutting down (seen with Kilted's launch)."""
    node = Node(**node_kwargs)

    def on_exit(event, context):
        if event.returncode == 0 or getattr(context, "is_shutdown", False):
            return None  # the ended process's handler stays: launch drops them all at shutdown
        return [UnregisterEventHandler(handler),  # the restarted process comes with its own
                TimerAction(period=RESPAWN_DELAY_S, actions=_started_again_when_it_fails(node_kwargs))]

    handler = OnProcessExit(target_action=node, on_exit=on_exit)
    return [node, RegisterEventHandler(handler)]


def generate_launch_description():
    return LaunchDescription([DeclareLaunchArgument(n, default_value=d, description=h) for n, d, h in LAUNCH_ARGUMENTS]
                             + [OpaqueFunction(function=_nodes)])
