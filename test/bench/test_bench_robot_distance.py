"""bench.robot_distance's measurement of the robot_distance node over DDS (its own process, beside a keypoints_3d
node in another): each person's distance to a moving robot link within 3 cm (median) of the truth with a 95%
interval that holds it, every frame answered."""
import os

import pytest

from alphapose_ros.bench import robot_distance

pytestmark = pytest.mark.ros


def test_distance_to_a_moving_link_is_within_3_cm_and_its_interval_holds_the_truth(vision_msgs):
    res = robot_distance.measure(frames=10, domain=40 + os.getpid() % 40, distances=(1.0, 2.5))
    for d, r in res.items():
        assert r["answered"] == r["frames"], (d, r)
        assert r["median_error_cm"] < 3.0 and r["interval_holds"] >= 0.9, (d, r)
