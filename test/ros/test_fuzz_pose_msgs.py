"""Fuzzing WholeBodyPoseArray unpacking: any message another node could publish becomes a
PoseSet or the KeyError/ValueError the nodes catch, log once and skip."""
import pytest

pytestmark = pytest.mark.ros
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

pose_shape = st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(0, 30), st.integers(0, 4))


@pytest.mark.fault("malformed-pose-messages")
@settings(max_examples=200, deadline=None, derandomize=True)
@given(fmt=st.integers(0, 8), poses=st.lists(pose_shape, max_size=4))
def test_any_pose_array_unpacks_or_raises_what_the_nodes_catch(ros_msgs, fmt, poses):
    from alphapose_ros.msg import WholeBodyPose, WholeBodyPoseArray
    from alphapose_ros.ros.conversions import msg_to_poses

    m = WholeBodyPoseArray()
    m.keypoint_format = fmt
    for nx, ny, ns, ne in poses:
        p = WholeBodyPose()
        p.x, p.y, p.keypoint_scores = [1.0] * nx, [2.0] * ny, [0.5] * ns
        p.embedding = [0.1] * ne
        m.poses.append(p)
    try:
        ps = msg_to_poses(m)
    except (KeyError, ValueError) as e:
        assert str(e)
        return
    assert len(ps) == len(poses) and ps.keypoints.shape[1:] == (ps.num_keypoints, 2)
