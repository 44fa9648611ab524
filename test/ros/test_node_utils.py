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


NODE_PROCESS = ("import rclpy; from alphapose_ros.ros.node_utils import run_nodes; "
                "run_nodes([lambda: rclpy.create_node('orphan_probe')])")


@pytest.mark.fault("signals")
def test_a_node_process_whose_parent_died_during_its_start_up_stops_by_itself():
    import os
    import signal
    import subprocess
    import sys

    from alphapose_ros.ros.node_utils import PARENT_VAR, node_env

    # the parent named in the environment is not this process's parent: it died while the node was starting
    env = node_env()
    env[PARENT_VAR] = str(int(env[PARENT_VAR]) + 1000000)
    orphan = subprocess.Popen([sys.executable, "-c", NODE_PROCESS], env=env)
    try:
        assert orphan.wait(timeout=60) == 0
    finally:
        orphan.kill()
    # its parent alive: it runs until it is told to stop
    child = subprocess.Popen([sys.executable, "-c", NODE_PROCESS], env=node_env())
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            child.wait(timeout=8)
    finally:
        child.send_signal(signal.SIGINT)
    assert child.wait(timeout=30) == 0
    assert os.getpid() == int(node_env()[PARENT_VAR])
