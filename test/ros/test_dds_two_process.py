"""A WholeBodyPoseArray published in one process arrives intact in another, over DDS."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.ros
PEER = Path(__file__).with_name("dds_peer.py")


def test_message_crosses_processes_with_every_field_intact(ros_msgs, tmp_path):
    from alphapose_ros.ros.smoke import synthetic_poses

    env = dict(os.environ, ROS_DOMAIN_ID=str(40 + os.getpid() % 50), ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST")
    out = tmp_path / "received.json"
    sub = subprocess.Popen([sys.executable, str(PEER), "sub", str(out)], env=env)
    pub = subprocess.Popen([sys.executable, str(PEER), "pub"], env=env)
    try:
        assert sub.wait(timeout=60) == 0, "subscriber process received nothing"
    finally:
        pub.kill()
        pub.wait()
        sub.kill()
    got = json.loads(out.read_text())
    sent = synthetic_poses(20, "halpe_136", seed=3)
    assert got["stamp"] == [1234, 5678] and got["frame_id"] == "cam_optical"
    assert got["format"] == ros_msgs.WholeBodyPoseArray.HALPE_136 and got["num_keypoints"] == 136
    assert got["size"] == [640, 480]
    for k in ("boxes", "box_scores", "keypoints", "keypoint_scores", "scores", "track_ages", "embeddings"):
        np.testing.assert_array_equal(np.asarray(got[k], np.float32), getattr(sent, k), err_msg=k)
    np.testing.assert_array_equal(got["track_ids"], sent.track_ids)
    np.testing.assert_array_equal(got["track_states"], sent.track_states)
