"""The node graph, described once: launch/pipeline.launch.py, the `pipeline` container and the
runner (`alphapose_ros.ros.runner`) all build it from here, so they cannot drift apart.

Imports nothing from ROS, so the launch file can use it before any node exists.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

PRESETS = ("cpu", "rtmpose_cpu", "rtmw_cpu", "rtmo_cpu", "gpu_halpe136", "gpu_coco17", "rtmw_gpu", "none")  # none: the parameter file alone
# the `pipeline` container's flag that leaves out the stages a NodeSpec.needs names
LEAVE_OUT_FLAGS = {"detection": "--no-detection", "tracking": "--no-tracking", "visualization": "--no-visualization",
                   "depth": "--no-keypoints-3d",
                   "hri": "--no-hri", "fall_detection": "--no-fall-detection",
                   "robot_distance": "--no-robot-distance"}
ENGINES = ("torch", "onnxruntime", "openvino")  # as core.engines.runtimes.ENGINES (a test keeps them equal)
TRANSPORTS = ("raw", "compressed")  # image_transport names the nodes that read images understand


@dataclass(frozen=True)
class NodeSpec:
    name: str        # node name = its section in config/pipeline.yaml
    executable: str  # ros2 run alphapose_ros <executable>
    module: str      # where the node class lives (the composed container imports it)
    cls: str
    needs: str = ""  # a LEAVE_OUT_FLAGS key: left out when that option is off


GRAPH = (
    NodeSpec("detection", "detection_node", "alphapose_ros.ros.nodes.detection", "DetectionNode",
             needs="detection"),
    NodeSpec("pose_estimation", "pose_estimation_node", "alphapose_ros.ros.nodes.pose_estimation",
             "PoseEstimationNode"),
    NodeSpec("pose_nms", "pose_nms_node", "alphapose_ros.ros.nodes.pose_nms", "PoseNMSNode"),
    NodeSpec("tracking", "tracking_node", "alphapose_ros.ros.nodes.tracking", "TrackingNode", needs="tracking"),
    NodeSpec("visualizer", "visualizer_node", "alphapose_ros.ros.nodes.visualizer", "VisualizerNode",
             needs="visualization"),
    NodeSpec("keypoints_3d", "keypoints_3d_node", "alphapose_ros.ros.nodes.keypoints_3d", "Keypoints3DNode",
             needs="depth"),
    NodeSpec("hri_bodies", "hri_bodies_node", "alphapose_ros.ros.nodes.hri_bodies", "HriBodiesNode", needs="hri"),
    NodeSpec("fall_detection", "fall_detection_node", "alphapose_ros.ros.nodes.fall_detection", "FallDetectionNode",
             needs="fall_detection"),
    NodeSpec("robot_distance", "robot_distance_node", "alphapose_ros.ros.nodes.robot_distance", "RobotDistanceNode",
             needs="robot_distance"),
)


@dataclass(frozen=True)
class GraphOptions:
    """What launch arguments / runner flags choose."""

    image: str = "image"
    preset: str = "cpu"
    params_file: str = ""    # empty: the package's config/pipeline.yaml
    device: str = ""         # empty: as the parameter files say
    engine: str = ""         # torch | onnxruntime | openvino for every network; empty: as the parameter files say
    detection: bool = True   # false: no detection node (a one-stage pose model, RTMO, finds the people)
    tracking: bool = True
    visualization: bool = True
    use_sim_time: bool = False
    autostart: bool = True
    camera_reliable: bool = False  # subscribe to the camera reliably (large images from a reliable camera)
    namespace: str = ""
    image_transport: str = "raw"   # or compressed: every node reading images takes <image>/compressed
    depth: str = ""                # registered depth image topic: adds the keypoints_3d stage
    camera_info: str = ""          # the colour camera's camera_info (empty: camera_info beside the image topic)
    hri: bool = False              # the ROS4HRI (REP-155) bodies adapter
    fall_detection: bool = False   # the fall-detection consumer
    target_frame: str = ""         # frame of the 3D outputs (base_link, map, ...); empty: the camera's
    tf: bool = False               # a TF frame body_b<ID> per tracked person
    robot_links: str = ""          # YAML of the robot's links: adds the robot_distance stage

    def enabled(self, needs: str) -> bool:
        """Whether the stages a NodeSpec.needs names run with these options."""
        return {"": True, "detection": self.detection, "tracking": self.tracking, "visualization": self.visualization, "depth": bool(self.depth),
                "hri": self.hri, "fall_detection": self.fall_detection,
                "robot_distance": bool(self.robot_links)}[needs]

    def camera_info_topic(self) -> str:
        """camera_info, else the topic beside the image's (/cam/color/image_raw -> /cam/color/camera_info)."""
        if self.camera_info:
            return self.camera_info
        head, sep, _ = self.image.rpartition("/")
        return f"{head}{sep}camera_info"


# The launch file's arguments (name, default, description); each maps to one GraphOptions field (or, for
# use_composition and log_level, to how the processes are started) and to one runner flag.
LAUNCH_ARGUMENTS = (
    ("image", "image", "camera image topic"),
    ("preset", "cpu", "parameter overlay from config/presets: " + " | ".join(PRESETS)),
    ("params_file", "", "node parameters (YAML; default: the package's config/pipeline.yaml)"),
    ("device", "", "cpu or cuda[:N] for every model (default: as the parameter files say)"),
    ("engine", "", "torch, onnxruntime or openvino for every network (default: as the parameter files say)"),
    ("use_composition", "true", "all stages in one process (true) or one process per node"),
    ("detection", "true", "run the detection node (false with a one-stage pose model: preset rtmo_cpu)"),
    ("tracking", "true", "track people (false: poses without IDs on the poses topic)"),
    ("visualization", "true", "annotated image and RViz markers"),
    ("namespace", "", "namespace of every node and topic"),
    ("use_sim_time", "false", "use /clock (bag replay)"),
    ("autostart", "true", "configure and activate the managed nodes on start-up"),
    ("camera_reliable", "false", "always subscribe to the camera reliably (default: match the camera's publishers)"),
    ("log_level", "info", "logging level of every node"),
    ("respawn", "true", "restart a node process that fails: non-zero exit outside a shutdown (a crash, a frozen one)"),
    ("watchdog", "30", "s a frozen node process (no Python thread can run) lives before it ends for respawn; 0: off"),
    ("image_transport", "raw", "raw or compressed: every node reading images subscribes to <image>/compressed"),
    ("depth", "", "depth image registered to the colour camera (16UC1 mm or 32FC1 m): adds 3D keypoints"),
    ("camera_info", "", "the colour camera's camera_info (default: camera_info beside the image topic)"),
    ("hri", "false", "publish ROS4HRI (REP-155) bodies under /humans/bodies"),
    ("fall_detection", "false", "run the fall-detection node on the tracked poses"),
    ("target_frame", "", "frame of every 3D output (base_link, map, ...) through /tf; needs depth"),
    ("tf", "false", "a TF frame body_b<track ID> per tracked person on /tf; needs depth"),
    ("robot_links", "", "YAML of the robot's links (config/robot_links_example.yaml): adds each person's distance "
                        "to the robot on /humans/robot_distance; needs depth"),
)


def launch_options(arg) -> GraphOptions:
    """GraphOptions from launch-argument strings (`arg(name) -> str`), as the launch file reads them."""
    def flag(name: str) -> bool:
        return arg(name).lower() in ("true", "1", "yes")

    return GraphOptions(image=arg("image"), preset=arg("preset"), params_file=arg("params_file"), device=arg("device"),
                        engine=arg("engine"),
                        detection=flag("detection"), tracking=flag("tracking"), visualization=flag("visualization"),
                        use_sim_time=flag("use_sim_time"), autostart=flag("autostart"), namespace=arg("namespace"),
                        camera_reliable=flag("camera_reliable"), image_transport=arg("image_transport"),
                        depth=arg("depth"), camera_info=arg("camera_info"), hri=flag("hri"),
                        fall_detection=flag("fall_detection"), target_frame=arg("target_frame"), tf=flag("tf"),
                        robot_links=arg("robot_links"))


@dataclass(frozen=True)
class GraphPlan:
    nodes: tuple[NodeSpec, ...]
    parameter_files: tuple[str, ...]
    parameters: dict = field(default_factory=dict)        # set on every node (unknown ones are ignored)
    remappings: tuple[tuple[str, str], ...] = ()


def plan(o: GraphOptions, share_dir: str) -> GraphPlan:
    """The nodes, parameter files, parameter overrides and remappings for these options."""
    if o.preset not in PRESETS:
        raise ValueError(f"unknown preset {o.preset!r}: choose one of {', '.join(PRESETS)}")
    if o.image_transport not in TRANSPORTS:
        raise ValueError(f"unknown image_transport {o.image_transport!r}: choose one of {', '.join(TRANSPORTS)}")
    nodes = tuple(s for s in GRAPH if o.enabled(s.needs))
    files = (o.params_file or os.path.join(share_dir, "config", "pipeline.yaml"),)
    if o.preset != "none":
        files += (os.path.join(share_dir, "config", "presets", f"{o.preset}.yaml"),)
    params = {"use_sim_time": o.use_sim_time, "autostart": o.autostart}
    if o.device:
        params["device"] = o.device
    if o.engine:
        if o.engine not in ENGINES:
            raise ValueError(f"unknown engine {o.engine!r}: choose one of {', '.join(ENGINES)}")
        params["engine"] = o.engine
    if o.camera_reliable:
        params["camera_reliable"] = True
    if o.image_transport == "compressed":
        params["compressed"] = True
    remaps = [("image", o.image)] if o.image != "image" else []
    if o.image != "image" and o.image_transport == "compressed":  # image_transport's name for the compressed twin
        remaps.append(("image/compressed", f"{o.image}/compressed"))
    if o.depth:
        remaps += [("depth", o.depth), ("camera_info", o.camera_info_topic())]
        if o.image_transport == "compressed":  # image_transport's name for a depth image's compressed twin
            remaps.append(("depth/compressedDepth", f"{o.depth}/compressedDepth"))
        params["poses_topic"] = "poses_3d"  # the ROS4HRI and fall-detection consumers read the 3D poses
        if o.target_frame:
            params["target_frame"] = o.target_frame
        if o.tf:
            params["tf"] = True
        if o.robot_links:
            params["links_file"] = o.robot_links
    elif o.target_frame or o.tf or o.robot_links:
        raise ValueError("target_frame, tf and robot_links need 3D: give the depth image topic too (depth:=...)")
    if not o.tracking:  # pose NMS output becomes the final poses topic
        remaps.append(("poses_nms", "poses"))
    return GraphPlan(nodes, files, params, tuple(remaps))


def ros_arguments(p: GraphPlan, namespace: str = "") -> list[str]:
    """The plan as `--ros-args ...` for an executable (ros2 run, the runner, the container)."""
    args = ["--ros-args"]
    for f in p.parameter_files:
        args += ["--params-file", f]
    for k, v in p.parameters.items():
        args += ["-p", f"{k}:={str(v).lower() if isinstance(v, bool) else v}"]
    for a, b in p.remappings:
        args += ["-r", f"{a}:={b}"]
    if namespace:
        args += ["-r", f"__ns:={namespace if namespace.startswith('/') else '/' + namespace}"]
    return args


def container_flags(p: GraphPlan) -> list[str]:
    """Flags of the `pipeline` container that leave out the stages the plan leaves out."""
    kept = {s.needs for s in p.nodes}
    return [flag for needs, flag in LEAVE_OUT_FLAGS.items() if needs not in kept]
