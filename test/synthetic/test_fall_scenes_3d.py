import numpy as np
import pytest

from alphapose_ros.synthetic.fall_scenes_3d import (CAMERA_HEIGHT, DIRECTIONS, EVERYDAY, FALLS, sequence, to_optical,
                                                    world_sequence)


def test_world_points_reach_the_level_camera_as_x_right_y_down_z_forward():
    p = np.array([[3.0, 1.0, CAMERA_HEIGHT + 0.5]])  # 3 m ahead, 1 m to the camera's left, 0.5 m above it
    np.testing.assert_allclose(to_optical(p), [[-1.0, -0.5, 3.0]])


@pytest.mark.parametrize("kind", FALLS)
def test_a_fall_ends_on_the_floor_tipped_towards_its_direction(kind):
    world, landed = world_sequence(kind, np.random.default_rng(1))
    t_land = int(np.ceil(landed * 30))
    hips, shoulders = world[t_land:, 11:13].mean(1), world[t_land:, 5:7].mean(1)
    assert hips[:, 2].max() < 0.35 and shoulders[:, 2].max() < 0.5
    lean = (shoulders - hips)[-1, :2]
    d = np.array(DIRECTIONS[kind])
    assert abs(lean @ d) / np.linalg.norm(lean) > 0.9 or abs(lean @ (d * [1, -1])) / np.linalg.norm(lean) > 0.9


def test_everyday_motions_stay_in_front_of_the_camera_and_on_their_feet_or_seat():
    rng = np.random.default_rng(2)
    for kind in EVERYDAY:
        for _ in range(5):
            uv, xyz, landed = sequence(kind, rng)
            assert landed is None and xyz[..., 2].min() > 1.5, kind
            assert np.isfinite(uv).all() and uv.shape == (len(xyz), 17, 2)
