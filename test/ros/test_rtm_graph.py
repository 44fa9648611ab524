"""Released-layout files run through the whole graph over DDS, named by the pose_model / det_model parameters:
an RTMW file (133 keypoints) on an end-to-end detector's boxes, and one-stage RTMO with no detection node.
Out come tracked WholeBodyPoseArrays, 3D from a depth image, and ROS4HRI bodies. Started by the runner."""
import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from alphapose_ros.synthetic import released_layouts

sys.path.insert(0, str(Path(__file__).parent))
from graph_process import graph_process, spinning_node, text  # noqa: E402

pytestmark = pytest.mark.ros
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def params_file(tmp_path, family: str) -> str:
    cfg = yaml.safe_load(open(os.path.join(REPO, "config", "pipeline.yaml")))
    cfg["detection"]["ros__parameters"].update(
        det_model=str(released_layouts.detector_file(tmp_path / "yolox.onnx", (416, 416))), engine="onnxruntime",
        confidence=0.3, min_interval=0.0)
    model = (released_layouts.simcc_file(tmp_path / "rtmw.onnx", 133, (256, 192)) if family == "simcc"
             else released_layouts.rtmo_file(tmp_path / "rtmo.onnx"))
    cfg["pose_estimation"]["ros__parameters"].update(pose_model=str(model), engine="onnxruntime", reid_weights="none")
    cfg["pose_nms"]["ros__parameters"]["score_thresh"] = 0.0  # random weights: keep every merged pose
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return str(path)


@pytest.mark.parametrize("family, keypoints, says", [("simcc", 133, "SimCC top-down, 133 keypoints"),
                                                     ("rtmo", 17, "RTMO one-stage, 17 keypoints")])
def test_released_layout_files_give_tracked_people_in_3d_and_hri_bodies(vision_msgs, tmp_path, family, keypoints,
                                                                        says):
    from hri_msgs.msg import IdsList
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import CameraInfo, Image

    from alphapose_ros.harness.depth_camera import depth_msg
    from alphapose_ros.core.io.image_msgs import bgr_to_image
    from alphapose_ros.msg import WholeBodyPoseArray
    from alphapose_ros.ros.conversions import header_at, msg_to_poses

    cmd = [sys.executable, "-m", "alphapose_ros.ros.runner", "--image", "/cam/image", "--depth", "/cam/depth",
           "--camera-info", "/cam/camera_info", "--hri", "--no-visualization", "--preset", "none",
           "--params-file", params_file(tmp_path, family)] + (["--no-detection"] if family == "rtmo" else [])
    domain = 40 + (os.getpid() + 7) % 50
    got = {"poses_3d": [], "tracked": []}
    rel = QoSProfile(depth=20, reliability=ReliabilityPolicy.RELIABLE)
    rng = np.random.default_rng(0)
    depth_mm = np.full((240, 320), 2000, np.uint16)
    with graph_process(cmd, domain) as (proc, out), spinning_node("rgbd_camera", domain) as node:
        pubs = {"image": node.create_publisher(Image, "/cam/image", rel),
                "depth": node.create_publisher(Image, "/cam/depth", rel),
                "info": node.create_publisher(CameraInfo, "/cam/camera_info", rel)}
        node.create_subscription(WholeBodyPoseArray, "/poses_3d", got["poses_3d"].append, rel)
        node.create_subscription(IdsList, "/humans/bodies/tracked", got["tracked"].append, rel)
        end = time.monotonic() + 180
        image_readers = 2 if family == "simcc" else 1  # the detection and pose nodes; RTMO: the pose node alone
        while (pubs["depth"].get_subscription_count() < 1 or pubs["image"].get_subscription_count() < image_readers
               or node.count_publishers("/poses_3d") < 1):
            assert time.monotonic() < end and proc.poll() is None, text(out)[-3000:]
            time.sleep(0.2)
        time.sleep(2.0)
        for _ in range(10):
            h = header_at(time.time(), "cam_optical_frame")
            pubs["info"].publish(CameraInfo(header=h, width=640, height=480, distortion_model="plumb_bob",
                                            d=[0.0] * 5, k=[500.0, 0.0, 319.5, 0.0, 500.0, 239.5, 0.0, 0.0, 1.0]))
            pubs["depth"].publish(depth_msg(depth_mm, h))
            pubs["image"].publish(bgr_to_image(rng.integers(0, 255, (480, 640, 3), dtype=np.uint8), h, Image))
            time.sleep(0.5)
        end = time.monotonic() + 30
        while len(got["poses_3d"]) < 6 and time.monotonic() < end:
            time.sleep(0.2)
        time.sleep(1.0)
    log = text(out)
    poses = [msg_to_poses(m) for m in got["poses_3d"] if m.poses]
    assert len(poses) >= 4, log[-3000:]
    assert {p.keypoints.shape[1] for p in poses} == {keypoints}
    assert all((p.track_ids >= 0).all() for p in poses)
    lifted = [p for p in poses if p.keypoints_3d is not None]
    z = np.concatenate([p.keypoints_3d[..., 2][np.isfinite(p.keypoints_3d[..., 2])] for p in lifted])
    assert len(z) and np.allclose(z, 2.0, atol=1e-3)
    bodies = {b for m in got["tracked"] for b in m.ids}
    assert bodies and bodies <= {f"b{i}" for p in poses for i in p.track_ids}
    assert "Traceback" not in log and says in log
