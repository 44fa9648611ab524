"""The executor every node process spins on: rclpy's EventsExecutor by default, the multi-threaded one on
request; both fire timers and deliver messages."""
import time

import pytest
import rclpy
from rclpy.executors import MultiThreadedExecutor
from std_msgs.msg import String

from alphapose_ros.ros.node_utils import EXECUTOR_VAR, make_executor, spin_on_thread


@pytest.fixture
def context():
    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    yield ctx
    rclpy.try_shutdown(context=ctx)


def test_default_executor_is_the_events_executor_even_with_captured_stderr(monkeypatch, capsys, context):
    monkeypatch.delenv(EXECUTOR_VAR, raising=False)
    ex = make_executor(3, context=context)
    assert type(ex).__name__ == "EventsExecutor"
    assert not isinstance(ex, MultiThreadedExecutor)


def test_multi_threaded_on_request_and_unknown_names_refused(monkeypatch, context):
    monkeypatch.setenv(EXECUTOR_VAR, "multi_threaded")
    assert isinstance(make_executor(3, context=context), MultiThreadedExecutor)
    monkeypatch.setenv(EXECUTOR_VAR, "fastest")
    with pytest.raises(ValueError, match=EXECUTOR_VAR):
        make_executor(3)


@pytest.mark.parametrize("kind", ["events", "multi_threaded"])
def test_spun_on_a_thread_timers_fire_and_messages_arrive(monkeypatch, context, kind):
    monkeypatch.setenv(EXECUTOR_VAR, kind)
    node = rclpy.create_node("executor_probe", context=context)
    ticks, got = [], []
    node.create_timer(0.05, lambda: ticks.append(1))
    pub = node.create_publisher(String, "probe", 10)
    node.create_subscription(String, "probe", lambda m: got.append(m.data), 10)
    ex = make_executor(1, context=context)
    ex.add_node(node)
    spinning = spin_on_thread(ex)
    try:
        deadline = time.monotonic() + 10
        while (len(ticks) < 5 or not got) and time.monotonic() < deadline:
            pub.publish(String(data="hello"))
            time.sleep(0.05)
    finally:
        spinning.clear()
        ex.shutdown()
        node.destroy_node()
    assert len(ticks) >= 5 and got and got[0] == "hello"
