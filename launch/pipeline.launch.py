"""ros2 launch alphapose_ros pipeline.launch.py [preset:=cpu|gpu_halpe136|gpu_coco17] [params_file:=...]

Parameters: config/pipeline.yaml (or params_file), then the preset's overlay from
config/presets/ (device, detector, model files), then use_sim_time.

Starts detection -> pose estimation -> pose NMS -> tracking, either in one process
(use_composition, the default: the Python `pipeline` container) or one process per node.
Remap `image` to your camera topic, e.g. image:=/camera/color/image_raw.
"""
import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, GroupAction
from launch.conditions import IfCondition, UnlessCondition
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node, PushRosNamespace

NODES = (("detection", "detection_node"), ("pose_estimation", "pose_estimation_node"),
         ("pose_nms", "pose_nms_node"), ("tracking", "tracking_node"), ("visualizer", "visualizer_node"))


def generate_launch_description():
    share = get_package_share_directory("alphapose_ros")
    namespace = LaunchConfiguration("namespace")
    params = LaunchConfiguration("params_file")
    image = LaunchConfiguration("image")
    use_sim_time = LaunchConfiguration("use_sim_time")
    log_level = LaunchConfiguration("log_level")
    composed = LaunchConfiguration("use_composition")
    preset = PathJoinSubstitution([share, "config", "presets", [LaunchConfiguration("preset"), ".yaml"]])
    common = dict(package="alphapose_ros", output="screen",
                  parameters=[params, preset, {"use_sim_time": use_sim_time}],
                  remappings=[("image", image)], ros_arguments=["--log-level", log_level])
    return LaunchDescription([
        DeclareLaunchArgument("namespace", default_value="", description="namespace of every node and topic"),
        DeclareLaunchArgument("params_file", default_value=os.path.join(share, "config", "pipeline.yaml"),
                              description="node parameters (YAML)"),
        DeclareLaunchArgument("preset", default_value="cpu",
                              description="parameter overlay from config/presets: cpu | gpu_halpe136 | gpu_coco17"),
        DeclareLaunchArgument("image", default_value="image", description="camera image topic"),
        DeclareLaunchArgument("use_sim_time", default_value="false", description="use /clock (bag replay)"),
        DeclareLaunchArgument("use_composition", default_value="true",
                              description="all stages in one process (true) or one process per node"),
        DeclareLaunchArgument("log_level", default_value="info", description="logging level"),
        GroupAction([PushRosNamespace(namespace),
                     # no name= here: it would rename every node of the process
                     Node(executable="pipeline", condition=IfCondition(composed), **common)]),
        GroupAction([PushRosNamespace(namespace)]
                    + [Node(executable=exe, name=name, condition=UnlessCondition(composed), **common)
                       for name, exe in NODES]),
    ])
