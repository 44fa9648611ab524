"""Per-node diagnostics and the once-only no-input warning (topic and QoS named)."""
import time

import pytest


def _spin_until(ex, cond, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end and not cond():
        ex.spin_once(timeout_sec=0.05)
    return cond()


def test_rate_window_counts_recent_events_only():
    from alphapose_ros.ros.diagnostics import RateWindow

    w = RateWindow(window=1.0)
    for t in (0.0, 0.1, 0.2, 0.3, 0.4):
        w.add(t)
    assert w.rate(0.4) == pytest.approx(10.0)
    assert w.rate(5.0) == 0.0


def test_silent_or_mismatched_input_is_named_once_and_diagnostics_flow(ros_context):
    import rclpy
    from diagnostic_msgs.msg import DiagnosticArray
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.parameter import Parameter
    from rclpy.qos import QoSProfile, ReliabilityPolicy

    from alphapose_ros.msg import WholeBodyPoseArray
    from alphapose_ros.ros.nodes.tracking import TrackingNode

    ex = SingleThreadedExecutor(context=ros_context)
    node = TrackingNode("tracking", context=ros_context, parameter_overrides=[Parameter("no_input_warn_s", value=0.3)])
    peer = rclpy.create_node("peer", context=ros_context)
    got = []
    peer.create_subscription(DiagnosticArray, "/diagnostics", got.append, 10)
    # a best-effort publisher cannot feed the tracking node's reliable queue
    peer.create_publisher(WholeBodyPoseArray, "poses_nms",
                          QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT))
    ex.add_node(node)
    ex.add_node(peer)
    assert _spin_until(ex, lambda: node.monitor.warning is not None)
    w = node.monitor.warning
    assert "/poses_nms" in w and "reliable/volatile" in w and "best_effort" in w and "incompatible" in w
    first = w
    assert _spin_until(ex, lambda: len(got) >= 2)
    assert node.monitor.warning is first  # once: not re-made on later ticks
    st = got[-1].status[0]
    values = {kv.key: kv.value for kv in st.values}
    assert st.level == st.WARN and values["input topic"] == "/poses_nms" and values["inputs"] == "0"
    # input that does arrive: rates and latency appear
    pub = peer.create_publisher(WholeBodyPoseArray, "poses_nms", 10)
    for i in range(5):
        m = WholeBodyPoseArray()
        m.header.stamp = node.get_clock().now().to_msg()
        m.header.frame_id = "cam"
        m.keypoint_format = WholeBodyPoseArray.COCO_17
        m.num_keypoints = 17
        pub.publish(m)
        ex.spin_once(timeout_sec=0.1)
    assert _spin_until(ex, lambda: node.monitor.n_out >= 5 and any(
        kv.key == "latency p50 (ms)" for kv in got[-1].status[0].values))
    st = got[-1].status[0]
    assert st.level == st.OK and float({kv.key: kv.value for kv in st.values}["latency p50 (ms)"]) >= 0
    node.destroy_node()
    peer.destroy_node()


def test_with_use_sim_time_latency_follows_the_bag_clock(ros_context):
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.parameter import Parameter
    from rosgraph_msgs.msg import Clock

    from alphapose_ros.msg import WholeBodyPoseArray
    from alphapose_ros.ros.nodes.tracking import TrackingNode

    ex = SingleThreadedExecutor(context=ros_context)
    node = TrackingNode("tracking", context=ros_context, parameter_overrides=[Parameter("use_sim_time", value=True)])
    peer = rclpy.create_node("player", context=ros_context)
    clock = peer.create_publisher(Clock, "/clock", 10)
    pub = peer.create_publisher(WholeBodyPoseArray, "poses_nms", 10)
    ex.add_node(node)
    ex.add_node(peer)
    c = Clock()
    c.clock.sec = 100  # the bag's time, far from the wall clock
    assert _spin_until(ex, lambda: (clock.publish(c), node.get_clock().now().nanoseconds == 100 * 10**9)[1])
    m = WholeBodyPoseArray(keypoint_format=WholeBodyPoseArray.COCO_17, num_keypoints=17)
    m.header.stamp.sec, m.header.stamp.nanosec = 99, 500_000_000
    pub.publish(m)
    assert _spin_until(ex, lambda: node.monitor.latency_ms)
    assert node.monitor.latency_ms[-1] == pytest.approx(500.0)
    node.destroy_node()
    peer.destroy_node()
