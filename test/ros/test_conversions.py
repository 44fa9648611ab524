"""PoseSet <-> message conversion keeps every field, in order, at full length."""
import numpy as np
import pytest

pytestmark = pytest.mark.ros


def test_roundtrip_keeps_every_field(ros_msgs):
    from std_msgs.msg import Header

    from alphapose_ros.ros.conversions import msg_to_poses, poses_to_msg
    from alphapose_ros.ros.smoke import synthetic_poses

    sent = synthetic_poses(5, "coco_wholebody_133")
    h = Header(frame_id="cam")
    h.stamp.sec, h.stamp.nanosec = 12, 34
    msg = poses_to_msg(sent, h, 320, 240)
    assert msg.header == h and msg.num_keypoints == 133
    assert msg.keypoint_format == ros_msgs.WholeBodyPoseArray.COCO_WHOLEBODY_133
    back = msg_to_poses(msg)
    for name in ("boxes", "box_scores", "keypoints", "keypoint_scores", "scores", "track_ids",
                 "track_states", "track_ages", "embeddings"):
        np.testing.assert_array_equal(getattr(back, name), getattr(sent, name).astype(getattr(back, name).dtype),
                                      err_msg=name)


def test_low_scores_are_kept_not_dropped(ros_msgs):
    from std_msgs.msg import Header

    from alphapose_ros.ros.conversions import poses_to_msg
    from alphapose_ros.ros.smoke import synthetic_poses

    poses = synthetic_poses(2, "coco_17")
    poses.keypoint_scores[:] = 0.0
    msg = poses_to_msg(poses, Header(), 10, 10)
    assert all(len(p.x) == 17 and len(p.keypoint_scores) == 17 for p in msg.poses)


def test_empty_frame_converts(ros_msgs):
    from std_msgs.msg import Header

    from alphapose_ros.core.poses import PoseSet
    from alphapose_ros.ros.conversions import msg_to_poses, poses_to_msg

    msg = poses_to_msg(PoseSet.empty("halpe_26", 26), Header(), 10, 10)
    assert len(msg.poses) == 0 and len(msg_to_poses(msg)) == 0


def test_wrong_length_pose_is_refused(ros_msgs):
    from std_msgs.msg import Header

    from alphapose_ros.ros.conversions import msg_to_poses, poses_to_msg
    from alphapose_ros.ros.smoke import synthetic_poses

    msg = poses_to_msg(synthetic_poses(1, "coco_17"), Header(), 10, 10)
    msg.keypoint_format = ros_msgs.WholeBodyPoseArray.HALPE_26
    with pytest.raises(ValueError, match=r"17 x, 17 y and 17 score values in a halpe_26 message \(26 keypoints"):
        msg_to_poses(msg)


def test_layout_message_describes_format(ros_msgs):
    from alphapose_ros.core.skeletons import get_format
    from alphapose_ros.ros.conversions import layout_msg

    m = layout_msg(get_format("coco_17"))
    assert list(m.keypoint_names)[:3] == ["nose", "left_eye", "right_eye"]
    assert max(max(m.link_from), max(m.link_to)) < 17  # the virtual neck is not published
    assert (5, 11) in set(zip(m.link_from, m.link_to))
    assert len(m.oks_sigmas) == 17 and list(m.part_names) == ["body"]


def test_the_head_travels_with_the_poses_and_its_ids_are_the_message_constants(ros_msgs):
    from dataclasses import replace

    from std_msgs.msg import Header

    from alphapose_ros.core.poses import HEAD_IDS
    from alphapose_ros.ros.conversions import msg_to_poses, poses_to_msg
    from alphapose_ros.ros.smoke import synthetic_poses

    M = ros_msgs.WholeBodyPoseArray
    assert HEAD_IDS == {"heatmap": M.HEAD_HEATMAP, "integral": M.HEAD_INTEGRAL, "combined": M.HEAD_COMBINED,
                        "mediapipe": M.HEAD_OTHER}
    for head, want in (("heatmap", M.HEAD_HEATMAP), ("combined", M.HEAD_COMBINED), ("", M.HEAD_UNKNOWN)):
        msg = poses_to_msg(replace(synthetic_poses(2, "halpe_136"), head=head), Header(), 320, 240)
        assert msg.head == want and msg_to_poses(msg).head == head
    empty = poses_to_msg(replace(synthetic_poses(0, "halpe_136"), head="integral"), Header(), 320, 240)
    assert msg_to_poses(empty).head == "integral"


def test_3d_keypoints_and_positions_travel_and_2d_only_messages_carry_none(ros_msgs):
    from alphapose_ros.ros.conversions import msg_to_poses, poses_to_msg
    from alphapose_ros.ros.smoke import synthetic_poses
    from std_msgs.msg import Header

    p = synthetic_poses(3, "halpe_26", seed=2)
    m = poses_to_msg(p, Header(), 640, 480)
    assert len(m.poses[0].x3d) == 0 and np.isnan(m.poses[0].position).all()  # no depth: no 3D, position NaN
    assert msg_to_poses(m).keypoints_3d is None
    xyz = np.random.default_rng(0).normal(size=(3, 26, 3)).astype(np.float32)
    xyz[1, 4] = np.nan
    p.keypoints_3d, p.positions = xyz, xyz[:, 0]
    back = msg_to_poses(poses_to_msg(p, Header(), 640, 480))
    assert np.array_equal(back.keypoints_3d, xyz, equal_nan=True) and np.array_equal(back.positions, xyz[:, 0])
    assert np.array_equal(back.select(np.array([2, 0])).keypoints_3d, xyz[[2, 0]])
    bad = poses_to_msg(p, Header(), 640, 480)
    bad.poses[1].z3d = bad.poses[1].z3d[:5]
    with pytest.raises(ValueError, match="x3d/y3d/z3d arrays"):
        msg_to_poses(bad)


def test_velocities_and_the_3d_frame_travel_with_the_3d_keypoints(ros_msgs):
    from alphapose_ros.ros.conversions import msg_to_poses, poses_to_msg
    from alphapose_ros.ros.smoke import synthetic_poses
    from std_msgs.msg import Header

    p = synthetic_poses(2, "coco_17", seed=4)
    rng = np.random.default_rng(1)
    p.keypoints_3d, p.positions = rng.normal(size=(2, 17, 3)), rng.normal(size=(2, 3))
    m = poses_to_msg(p, Header(frame_id="cam_optical"), 640, 480)
    assert m.frame_id_3d == "cam_optical" and len(m.poses[0].vx3d) == 0 and np.isnan(m.poses[0].velocity).all()
    assert msg_to_poses(m).velocities_3d is None
    p.velocities_3d, p.velocities, p.frame_3d = rng.normal(size=(2, 17, 3)), rng.normal(size=(2, 3)), "map"
    back = msg_to_poses(poses_to_msg(p, Header(frame_id="cam_optical"), 640, 480))
    assert back.frame_3d == "map"
    np.testing.assert_array_equal(back.velocities_3d, p.velocities_3d.astype(np.float32))
    np.testing.assert_array_equal(back.velocities, p.velocities.astype(np.float32))
    np.testing.assert_array_equal(back.select(np.array([1])).velocities, p.velocities[[1]].astype(np.float32))
    bad = poses_to_msg(p, Header(), 640, 480)
    bad.poses[0].vy3d = bad.poses[0].vy3d[:3]
    with pytest.raises(ValueError, match="vx3d/vy3d/vz3d arrays"):
        msg_to_poses(bad)
    assert poses_to_msg(synthetic_poses(1, "coco_17"), Header(frame_id="cam"), 9, 9).frame_id_3d == ""


def test_a_pose_whose_arrays_disagree_is_described_by_what_it_holds(ros_msgs):
    import numpy as np

    from alphapose_ros.core.poses import PoseSet
    from alphapose_ros.ros.conversions import header_at, msg_to_poses, poses_to_msg

    p = PoseSet("halpe_26", np.zeros((1, 4), np.float32), np.ones(1, np.float32), np.zeros((1, 26, 2), np.float32),
                np.ones((1, 26), np.float32), np.ones(1, np.float32))
    msg = poses_to_msg(p, header_at(1.0, "cam"), 64, 48)
    msg.poses[0].y = msg.poses[0].y[:25]
    with pytest.raises(ValueError, match=r"26 x, 25 y and 26 score values in a halpe_26 message \(26 keypoints"):
        msg_to_poses(msg)
