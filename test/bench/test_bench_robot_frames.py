"""bench.robot_frames's measurement of the keypoints_3d node on a driving, turning robot (its own process,
over DDS, /tf published as a robot does)."""
import os

import pytest

from alphapose_ros.bench import robot_frames

pytestmark = pytest.mark.ros


@pytest.mark.fault("robot-frames-unusable")
def test_3d_comes_out_in_map_while_the_robot_drives_and_without_the_frame_stays_in_the_camera(vision_msgs):
    """target_frame:=map with the camera on a driving, turning base: the still person's visible keypoints land at
    their place in map within 2 cm (median), body_b1 frames go out on /tf in map, the reported speed is near 0.
    A target frame nobody publishes: every frame still goes out, its 3D in the camera's frame with that id."""
    r = robot_frames.measure(frames=20, domain=30 + os.getpid() % 40)
    assert r["lost"] == 0 and r["frames_3d"] == ["map"], r
    assert r["keypoint_median_cm"] < 2.0 and r["body_frames"] >= 15 and r["speed_median"] < 0.1, r
    m = robot_frames.measure(frames=5, domain=30 + os.getpid() % 40, target="frame_that_never_appears")
    assert m["lost"] == 0 and m["frames_3d"] == [robot_frames.CAMERA], m
