import numpy as np
import pytest

from alphapose_ros.core.people3d.tf_buffer import (ConnectivityError, ExtrapolationError, Rigid, TFBuffer,
                                                   UnknownFrameError)

YAW90 = (0.0, 0.0, np.sin(np.pi / 4), np.cos(np.pi / 4))
IDENTITY = (0.0, 0.0, 0.0, 1.0)
# an optical frame (z forward, x right, y down) on a camera looking along base_link's x axis
OPTICAL = (-0.5, 0.5, -0.5, 0.5)


def robot() -> TFBuffer:
    tf = TFBuffer()
    tf.set_transform("map", "odom", 0.0, (10.0, 0.0, 0.0), IDENTITY, static=True)
    for t, x in ((1.0, 0.0), (2.0, 1.0), (3.0, 3.0)):  # the base drives along odom's x
        tf.set_transform("odom", "base_link", t, (x, 0.0, 0.0), IDENTITY)
    tf.set_transform("base_link", "camera_link", 0.0, (0.2, 0.0, 1.2), IDENTITY, static=True)
    tf.set_transform("camera_link", "camera_optical", 0.0, (0.0, 0.0, 0.0), OPTICAL, static=True)
    tf.set_transform("base_link", "laser", 0.0, (0.1, 0.0, 0.3), YAW90, static=True)
    return tf


def test_a_point_2_m_ahead_of_the_camera_lands_in_map_through_the_chain():
    tf = robot()
    p = tf.lookup("map", "camera_optical", 2.0).apply(np.array([0.0, 0.0, 2.0]))  # 2 m along the optical axis
    np.testing.assert_allclose(p, [10.0 + 1.0 + 0.2 + 2.0, 0.0, 1.2], atol=1e-12)
    # a point 1 m to the image's right is 1 m to the robot's right (-y)
    np.testing.assert_allclose(tf.lookup("base_link", "camera_optical", 2.0).apply([1.0, 0.0, 0.0]),
                               [0.2, -1.0, 1.2], atol=1e-12)


def test_dynamic_edges_interpolate_and_static_ones_hold_at_every_time():
    tf = robot()
    np.testing.assert_allclose(tf.lookup("map", "base_link", 2.5).t, [12.0, 0.0, 0.0])
    np.testing.assert_allclose(tf.lookup("camera_link", "laser", 1e6).apply([1.0, 0.0, 0.0]), [-0.1, 1.0, -0.9],
                               atol=1e-12)
    tf.set_transform("odom", "turntable", 0.0, (0.0, 0.0, 0.0), IDENTITY)
    tf.set_transform("odom", "turntable", 1.0, (0.0, 0.0, 0.0), YAW90)
    half = tf.lookup("odom", "turntable", 0.5).apply([1.0, 0.0, 0.0])
    np.testing.assert_allclose(half, [np.cos(np.pi / 4), np.sin(np.pi / 4), 0.0], atol=1e-12)  # slerp: 45 degrees


def test_inverse_lookups_compose_to_the_identity():
    tf = robot()
    there = tf.lookup("map", "laser", 1.7)
    back = tf.lookup("laser", "map", 1.7)
    p = np.array([[0.3, -2.0, 5.0], [np.nan, 1.0, 1.0]])
    np.testing.assert_allclose((back @ there).apply(p)[0], p[0], atol=1e-12)
    assert np.isnan(there.apply(p)[1]).all()  # an invalid point stays invalid
    assert there.apply(p.astype(np.float32)).dtype == np.float32


def test_time_zero_is_the_latest_time_every_dynamic_edge_has():
    tf = robot()
    tf.set_transform("map", "person_tracker", 2.5, (0.0, 5.0, 0.0), IDENTITY)
    tf.set_transform("map", "person_tracker", 2.0, (0.0, 4.0, 0.0), IDENTITY)
    np.testing.assert_allclose(tf.lookup("odom", "base_link").t, [3.0, 0.0, 0.0])  # its newest: 3.0
    # base_link -> person_tracker needs both: the latest common time is 2.5
    np.testing.assert_allclose(tf.lookup("base_link", "person_tracker").t, [-(10.0 + 2.0), 5.0, 0.0])


@pytest.mark.parametrize("t, when", [(3.5, "future"), (0.5, "past")])
def test_a_time_outside_the_data_is_an_extrapolation_error_not_a_guess(t, when):
    with pytest.raises(ExtrapolationError, match=f"extrapolation into the {when}.*odom -> base_link"):
        robot().lookup("map", "camera_optical", t)


def test_unknown_disconnected_and_looping_frames_are_errors_that_say_so():
    tf = robot()
    with pytest.raises(UnknownFrameError, match='"base_footprint" passed to lookup does not exist'):
        tf.lookup("base_footprint", "camera_optical", 2.0)
    tf.set_transform("world", "other_robot", 0.0, (1.0, 0.0, 0.0), IDENTITY, static=True)
    with pytest.raises(ConnectivityError, match="not part of the same tree"):
        tf.lookup("map", "other_robot", 2.0)
    tf.set_transform("a", "b", 0.0, (0.0, 0.0, 0.0), IDENTITY, static=True)
    tf.set_transform("b", "a", 0.0, (0.0, 0.0, 0.0), IDENTITY, static=True)
    with pytest.raises(ConnectivityError, match="loop"):
        tf.lookup("map", "a", 0.0)


def test_history_older_than_the_cache_time_is_forgotten():
    tf = TFBuffer(cache_time=10.0)
    for t in range(0, 30):
        tf.set_transform("odom", "base_link", float(t), (t, 0.0, 0.0), IDENTITY)
    np.testing.assert_allclose(tf.lookup("odom", "base_link", 19.5).t, [19.5, 0.0, 0.0])
    with pytest.raises(ExtrapolationError, match="past"):
        tf.lookup("odom", "base_link", 18.5)


def test_bad_transforms_are_refused_with_the_reason():
    tf = TFBuffer()
    with pytest.raises(ValueError, match="zero quaternion"):
        tf.set_transform("a", "b", 0.0, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="non-finite"):
        tf.set_transform("a", "b", 0.0, (np.nan, 0.0, 0.0), IDENTITY)
    with pytest.raises(ValueError, match="different"):
        tf.set_transform("a", "a", 0.0, (0.0, 0.0, 0.0), IDENTITY)
    tf.set_transform("/a", "b", 0.0, (1.0, 0.0, 0.0), (0.0, 0.0, 0.0, 2.0), static=True)  # normalised, "/" dropped
    np.testing.assert_allclose(tf.lookup("a", "b").apply([0.0, 0.0, 0.0]), [1.0, 0.0, 0.0])


def test_rigid_inverse_and_composition_agree_with_matrices():
    rng = np.random.default_rng(0)
    q = rng.normal(size=4)
    a = Rigid(rng.normal(size=3), q / np.linalg.norm(q))
    m = np.eye(4)
    m[:3, :3], m[:3, 3] = a.matrix(), a.t
    np.testing.assert_allclose(a.inverse().matrix(), np.linalg.inv(m)[:3, :3], atol=1e-12)
    np.testing.assert_allclose(a.inverse().t, np.linalg.inv(m)[:3, 3], atol=1e-12)
    np.testing.assert_allclose((a @ a.inverse()).apply([1.0, 2.0, 3.0]), [1.0, 2.0, 3.0], atol=1e-12)
