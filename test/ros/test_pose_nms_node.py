"""The pose NMS node takes AlphaPose's parameters for the head the pose messages name (a heatmap-trained
133/136-keypoint model gets the heatmap constants without any setting), or for the head it is told."""
import numpy as np
import pytest

pytestmark = pytest.mark.ros


def _candidates():
    from dataclasses import replace

    from alphapose_ros.synthetic.pose_candidates import random_candidates
    from alphapose_ros.core.poses import PoseSet

    boxes, bs, kp, ks = random_candidates(30, 136, seed=1)
    p = PoseSet("halpe_136", boxes, bs, kp, ks, bs)
    return lambda head: replace(p, head=head)


def test_head_from_the_messages_or_from_the_parameter_picks_the_parameters(ros_context):
    from rclpy.parameter import Parameter

    from alphapose_ros.core.pipeline import apply_pose_nms
    from alphapose_ros.core.nms.parametric import PoseNMSParams
    from alphapose_ros.ros.nodes.pose_nms import PoseNMSNode

    poses = _candidates()
    want = {h: apply_pose_nms(poses(h), "parametric", PoseNMSParams.for_layout(136, h == "heatmap"))[0]
            for h in ("heatmap", "integral")}
    assert len(want["heatmap"]) != len(want["integral"])  # the two parameter sets decide differently here
    auto = PoseNMSNode("nms_auto", context=ros_context)
    forced = PoseNMSNode("nms_forced", context=ros_context, parameter_overrides=[Parameter("head", value="integral")])
    try:
        warned = []
        auto.get_logger().warning = lambda m, **k: warned.append(m)
        for head in ("heatmap", "integral"):
            got = auto.suppress(poses(head))
            np.testing.assert_array_equal(got.keypoints, want[head].keypoints)
            assert got.head == head
        np.testing.assert_array_equal(forced.suppress(poses("heatmap")).keypoints, want["integral"].keypoints)
        auto.suppress(poses(""))
        auto.suppress(poses(""))
        assert len(warned) == 1 and "do not say their head" in warned[0]
    finally:
        auto.destroy_node()
        forced.destroy_node()
