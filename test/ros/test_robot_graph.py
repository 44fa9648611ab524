"""The robot graph end to end over DDS: camera images, a registered depth image, camera_info and the camera's
place on the robot (/tf_static) in, with depth:=, camera_info:=, target_frame:=base_link, tf:=true,
robot_links:=, hri:=true and fall_detection:=true; out come 3D poses in base_link whose depth is the depth
image's, the people in 3D, body frames on /tf, each person's distance to the robot, REP-155 bodies for the
tracks, and no fall from people walking. Started by the package's runner and, where the `ros2` command with
launch is installed, by the real `ros2 launch`."""
import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from alphapose_ros.harness.launch import clip, has_ros2_launch, launch_command

sys.path.insert(0, str(Path(__file__).parent))
from graph_process import graph_process, spinning_node, text  # noqa: E402

pytestmark = pytest.mark.ros
LINKS = str(Path(__file__).resolve().parents[1] / "data" / "robot_links_test.yaml")
ARGS = {"depth": "/cam/depth", "camera_info": "/cam/color/camera_info", "hri": "true", "fall_detection": "true",
        "image": "/cam/color/image_raw", "visualization": "false", "target_frame": "base_link", "tf": "true",
        "robot_links": LINKS}


def _commands():
    runner = [sys.executable, "-m", "alphapose_ros.ros.runner", "--image", ARGS["image"], "--depth", ARGS["depth"],
              "--camera-info", ARGS["camera_info"], "--hri", "--fall-detection", "--no-visualization",
              "--target-frame", "base_link", "--tf", "--robot-links", LINKS]
    yield pytest.param(runner, id="runner")
    yield pytest.param(launch_command([f"{k}:={v}" for k, v in ARGS.items()]), id="ros2-launch",
                       marks=pytest.mark.skipif(not has_ros2_launch(), reason="no `ros2` command with launch here"))


@pytest.mark.parametrize("cmd", list(_commands()))
def test_rgbd_camera_gives_3d_poses_in_the_robot_frame_bodies_distances_and_no_false_fall(vision_msgs, footage,
                                                                                          mediapipe_models, cmd):
    from geometry_msgs.msg import TransformStamped
    from hri_msgs.msg import IdsList
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
    from tf2_msgs.msg import TFMessage

    from alphapose_ros.msg import RobotDistanceArray
    from sensor_msgs.msg import CameraInfo, Image
    from vision_msgs.msg import Detection3DArray

    from alphapose_ros.harness.depth_camera import depth_msg
    from alphapose_ros.core.io.image_msgs import bgr_to_image
    from alphapose_ros.msg import FallEvent, WholeBodyPoseArray
    from alphapose_ros.ros.conversions import header_at, msg_to_poses

    domain = 40 + (os.getpid() + len(cmd)) % 50
    rel = QoSProfile(depth=20, reliability=ReliabilityPolicy.RELIABLE)
    got = {"poses_3d": [], "people_3d": [], "tracked": [], "falls": [], "distance": [], "tf": []}
    frames = clip(10)  # 768x576
    depth_mm = np.full((288, 384), 2500, np.uint16)  # everything 2.5 m away, at half the colour resolution
    with graph_process(cmd, domain) as (proc, out), spinning_node("rgbd_camera", domain) as node:
        pubs = {"image": node.create_publisher(Image, ARGS["image"], rel),
                "depth": node.create_publisher(Image, ARGS["depth"], rel),
                "info": node.create_publisher(CameraInfo, ARGS["camera_info"], rel)}
        for topic, t, key in (("/poses_3d", WholeBodyPoseArray, "poses_3d"),
                              ("/people_3d", Detection3DArray, "people_3d"),
                              ("/humans/bodies/tracked", IdsList, "tracked"), ("/falls", FallEvent, "falls"),
                              ("/humans/robot_distance", RobotDistanceArray, "distance"), ("/tf", TFMessage, "tf")):
            node.create_subscription(t, topic, got[key].append, rel)
        static = node.create_publisher(TFMessage, "/tf_static", QoSProfile(
            depth=1, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL))
        cam = TransformStamped(child_frame_id="cam_color_optical_frame")  # 1.2 m up, looking along x
        cam.header.frame_id = "base_link"
        cam.transform.translation.z = 1.2
        r = cam.transform.rotation
        r.x, r.y, r.z, r.w = -0.5, 0.5, -0.5, 0.5
        static.publish(TFMessage(transforms=[cam]))
        end = time.monotonic() + 180
        while (pubs["depth"].get_subscription_count() < 1 or pubs["image"].get_subscription_count() < 2
               or node.count_publishers("/poses_3d") < 1):
            assert time.monotonic() < end and proc.poll() is None, text(out)[-3000:]
            time.sleep(0.2)
        time.sleep(2.0)  # the managed nodes finish activating, camera subscriptions match our publishers
        for f in frames:
            h = header_at(time.time(), "cam_color_optical_frame")
            info = CameraInfo(header=h, width=768, height=576, distortion_model="plumb_bob", d=[0.0] * 5,
                              k=[600.0, 0.0, 383.5, 0.0, 600.0, 287.5, 0.0, 0.0, 1.0])
            pubs["info"].publish(info)
            pubs["depth"].publish(depth_msg(depth_mm, h))
            pubs["image"].publish(bgr_to_image(f, h, Image))
            time.sleep(0.5)  # 2 Hz: inside what the graph keeps up with on 2 cores
        end = time.monotonic() + 30
        while len(got["poses_3d"]) < 6 and time.monotonic() < end:
            time.sleep(0.2)
        time.sleep(2.0)
    log = text(out)
    assert len(got["poses_3d"]) >= 6, log[-3000:]
    # the first frames may go out before the node has a camera_info (logged once, 2D unaffected)
    lifted = [p for p in (msg_to_poses(m) for m in got["poses_3d"] if m.poses) if p.keypoints_3d is not None]
    assert len(lifted) >= 4, ([len(m.poses) for m in got["poses_3d"]], log[-3000:])
    assert {p.frame_3d for p in lifted[-3:]} == {"base_link"}  # once /tf_static has reached the node
    # 2.5 m along the optical axis is 2.5 m ahead of base_link (its x), the smoothing converging on it
    x = np.concatenate([p.keypoints_3d[..., 0][np.isfinite(p.keypoints_3d[..., 0])] for p in lifted[-2:]])
    assert len(x) and np.allclose(x, 2.5, atol=0.05)
    near = [d for m in got["distance"] for d in m.people if np.isfinite(d.distance)]
    assert near and got["distance"][-1].header.frame_id == "base_link"
    assert all(d.lower_95 <= d.distance <= d.upper_95 and d.link == "base_link" for d in near)
    assert any(t.child_frame_id.startswith("body_b") and t.header.frame_id == "base_link"
               for m in got["tf"] for t in m.transforms)
    ids = {str(t) for m in got["poses_3d"] for t in msg_to_poses(m).track_ids}  # with or without 3D
    assert {d.id for m in got["people_3d"] for d in m.detections} <= ids
    bodies = {b for m in got["tracked"] for b in m.ids}
    assert bodies and bodies <= {f"b{i}" for i in ids}
    assert got["falls"] == [] and "Traceback" not in log
