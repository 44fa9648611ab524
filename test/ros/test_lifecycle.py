"""The pose NMS and tracking nodes are managed like the detection and pose nodes: nothing flows before
activate or after deactivate, cleanup drops the publishers (and the tracks), configure again works; the
tracking node's ~/reset service (std_srvs/Trigger) forgets the tracks without reusing an ID."""
import os
import threading
import time

import numpy as np
import pytest

pytestmark = pytest.mark.ros


def _poses_msg(x: float, stamp_s: int):
    from builtin_interfaces.msg import Time
    from std_msgs.msg import Header

    from alphapose_ros.core.poses import PoseSet
    from alphapose_ros.ros.conversions import poses_to_msg

    box = np.array([[x, 100, x + 60, 260]], np.float32)
    kp = np.stack([np.linspace(x, x + 60, 17), np.linspace(100, 260, 17)], -1)[None]
    p = PoseSet("coco_17", box, [0.9], kp, np.full((1, 17), 0.8), [2.0], head="heatmap")
    return poses_to_msg(p, Header(stamp=Time(sec=stamp_s), frame_id="cam"), 640, 480)


class _Harness:
    def __init__(self, ctx, node, in_topic, out_topic):
        import rclpy
        from rclpy.executors import MultiThreadedExecutor

        from alphapose_ros.msg import WholeBodyPoseArray
        from alphapose_ros.ros.qos import stage_qos

        self.node, self.got, self.out_topic = node, [], out_topic
        self.driver = rclpy.create_node("lifecycle_driver", context=ctx)
        # live (volatile) queues: a message sent while the node is not subscribed is gone, as on a robot
        self.pub = self.driver.create_publisher(WholeBodyPoseArray, in_topic, stage_qos(10))
        self.driver.create_subscription(WholeBodyPoseArray, out_topic, self.got.append, stage_qos(10))
        self.ex = MultiThreadedExecutor(context=ctx)
        self.ex.add_node(node)
        self.ex.add_node(self.driver)
        threading.Thread(target=self.ex.spin, daemon=True).start()

    def send(self, msg, expect: int) -> None:
        deadline = time.monotonic() + 10
        while expect and (self.pub.get_subscription_count() < 1 or self.driver.count_publishers(self.out_topic) < 1) \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3 if expect else 0.0)  # matched both ways
        n = len(self.got)
        self.pub.publish(msg)
        deadline = time.monotonic() + (10 if expect else 1.0)
        while len(self.got) < n + expect and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
        assert len(self.got) == n + expect

    def close(self) -> None:
        self.ex.shutdown()
        self.driver.destroy_node()
        self.node.destroy_node()


@pytest.mark.parametrize("which", ["pose_nms", "tracking"])
def test_configure_activate_deactivate_cleanup(ros_msgs, vision_msgs, which):
    import rclpy
    from rclpy.lifecycle import TransitionCallbackReturn
    from rclpy.parameter import Parameter

    from alphapose_ros.ros.nodes.pose_nms import PoseNMSNode
    from alphapose_ros.ros.nodes.tracking import TrackingNode

    ctx = rclpy.Context()
    rclpy.init(context=ctx, domain_id=110 + os.getpid() % 40)
    cls, topics = {"pose_nms": (PoseNMSNode, ("poses_raw", "poses_nms")),
                   "tracking": (TrackingNode, ("poses_nms", "poses"))}[which]
    node = cls(which, context=ctx, parameter_overrides=[Parameter("autostart", value=False)])
    h = _Harness(ctx, node, *topics)
    try:
        assert node.pub is None and node.sub is None
        h.send(_poses_msg(100, 1), expect=0)  # unconfigured: not subscribed
        assert node.trigger_configure() == TransitionCallbackReturn.SUCCESS
        assert node.pub is not None and node.sub is None  # inactive: configured, not subscribed
        h.send(_poses_msg(100, 2), expect=0)
        node.trigger_activate()
        h.send(_poses_msg(100, 3), expect=1)
        node.trigger_deactivate()
        assert node.sub is None
        h.send(_poses_msg(100, 4), expect=0)
        node.trigger_cleanup()
        assert node.pub is None
        node.trigger_configure()
        node.trigger_activate()
        h.send(_poses_msg(100, 5), expect=1)
        if which == "tracking":  # cleanup forgot the tracks: the same person got a new ID
            assert [m.poses[0].track_id for m in h.got] == [1, 2]
    finally:
        h.close()
        rclpy.shutdown(context=ctx)


def test_a_bad_params_file_fails_configure_with_the_reason(ros_msgs, tmp_path):
    import rclpy
    from rclpy.parameter import Parameter

    from alphapose_ros.ros.nodes.pose_nms import PoseNMSNode

    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    bad = tmp_path / "nms.yaml"
    bad.write_text("gamma: 3.0\nsigma_9: 1.0\n")
    node = PoseNMSNode("nms", context=ctx, parameter_overrides=[Parameter("autostart", value=False),
                                                                Parameter("params_file", value=str(bad))])
    logged = []
    node.get_logger().error = lambda m, **k: logged.append(m)
    try:
        node.trigger_configure()
        assert node.pub is None and len(logged) == 1 and "sigma_9" in logged[0] and str(bad) in logged[0]
    finally:
        node.destroy_node()
        rclpy.shutdown(context=ctx)


def test_reset_service_forgets_the_tracks_and_never_reuses_an_id(ros_msgs, vision_msgs):
    import rclpy
    from std_srvs.srv import Trigger

    from alphapose_ros.ros.nodes.tracking import TrackingNode

    ctx = rclpy.Context()
    rclpy.init(context=ctx, domain_id=150 + os.getpid() % 40)
    node = TrackingNode("tracking", context=ctx)
    h = _Harness(ctx, node, "poses_nms", "poses")
    try:
        client = h.driver.create_client(Trigger, "/tracking/reset")
        assert client.wait_for_service(timeout_sec=10)
        for s in (1, 2):
            h.send(_poses_msg(100 + s, s), expect=1)
        reply = client.call(Trigger.Request(), timeout_sec=10)
        assert reply.success and "next new track gets ID 2" in reply.message
        h.send(_poses_msg(103, 3), expect=1)  # the same person, right where the old track was
        assert [m.poses[0].track_id for m in h.got] == [1, 1, 2]
    finally:
        h.close()
        rclpy.shutdown(context=ctx)


@pytest.mark.parametrize("keep", [True, False], ids=["kept", "keep_track_ids-false"])
def test_a_restarted_tracking_node_never_hands_out_an_id_again(ros_msgs, vision_msgs, keep):
    # launch's respawn restarts a node process that crashed or froze: a controller holding track 1 must not
    # see a new person as track 1
    import rclpy
    from rclpy.parameter import Parameter

    from alphapose_ros.ros.nodes.tracking import TrackingNode

    ids = []
    for run in range(2):  # the process, then its restart: nothing carried over but the file under ROS_HOME
        ctx = rclpy.Context()
        rclpy.init(context=ctx, domain_id=150 + (os.getpid() + run) % 40)
        node = TrackingNode("tracking", context=ctx, parameter_overrides=[Parameter("keep_track_ids", value=keep)])
        h = _Harness(ctx, node, "poses_nms", "poses")
        try:
            h.send(_poses_msg(100, 1), expect=1)
            ids.append(h.got[-1].poses[0].track_id)
        finally:
            h.close()
            rclpy.shutdown(context=ctx)
    assert ids[0] == 1 and (ids[1] > ids[0] if keep else ids[1] == 1), ids
