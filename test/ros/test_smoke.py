"""The README's smoke run publishes and receives a WholeBodyPoseArray."""
import pytest

pytestmark = pytest.mark.ros


def test_smoke_run_round_trips(ros_msgs):
    from alphapose_ros.ros.smoke import main

    assert main([]) == 0
