"""The freeze watchdog (ros/watchdog.py): a process whose Python cannot run for its timeout ends with exit code 1
and every thread's stack; waiting or busy Python does not trip it; run_nodes arms it from the environment."""
import subprocess
import sys
import textwrap
import time

import pytest

from alphapose_ros.ros.watchdog import DEFAULT_TIMEOUT_S, WATCHDOG_VAR, FreezeWatchdog, timeout_from_env

# C code that holds the GIL for minutes, as Fast DDS's failing take did: the regex engine never releases it
HOLD_THE_GIL = 're.match(r"(a+)+$", "a" * 40 + "b")'


def _run(body: str, env: dict | None = None, timeout: float = 30.0) -> tuple[int | None, str, float]:
    """Run `body` as a Python process; (exit code or None when still running at `timeout`, stderr, seconds)."""
    import os

    t0 = time.monotonic()
    p = subprocess.Popen([sys.executable, "-c", textwrap.dedent(body)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})
    try:
        _, err = p.communicate(timeout=timeout)
        return p.returncode, err, time.monotonic() - t0
    except subprocess.TimeoutExpired:
        p.kill()
        return None, p.communicate()[1], time.monotonic() - t0


def test_a_process_whose_python_cannot_run_ends_with_code_1_and_every_stack():
    code, err, s = _run(f"""
        import re
        from alphapose_ros.ros.watchdog import FreezeWatchdog
        FreezeWatchdog(2.0).start()
        def hold_the_gil():
            {HOLD_THE_GIL}
        hold_the_gil()
        """)
    assert code == 1 and s < 20, (code, s, err[-2000:])
    assert "Timeout (0:00:02)" in err and "in hold_the_gil" in err and "freeze-watchdog" not in err


def test_without_the_watchdog_the_same_process_stays_frozen():
    code, _, _ = _run(f"import re\n{HOLD_THE_GIL}", timeout=6)
    assert code is None


@pytest.mark.parametrize("wait", ["time.sleep(4)", "t = time.time()\nwhile time.time() - t < 4: pass"],
                         ids=["blocked-waiting", "busy-python"])
def test_waiting_or_busy_python_longer_than_the_timeout_is_no_freeze(wait):
    code, err, _ = _run(f"import time\nfrom alphapose_ros.ros.watchdog import FreezeWatchdog\n"
                        f"FreezeWatchdog(2.0).start()\n{wait}\nprint('done')")
    assert code == 0, err[-2000:]


def test_a_stopped_watchdog_does_not_end_the_process():
    code, err, _ = _run(f"""
        import re
        from alphapose_ros.ros.watchdog import FreezeWatchdog
        w = FreezeWatchdog(2.0)
        w.start()
        w.stop()
        {HOLD_THE_GIL}
        """, timeout=6)
    assert code is None, err[-2000:]


def test_timeout_from_the_environment_default_off_and_refusals():
    assert timeout_from_env({}) == DEFAULT_TIMEOUT_S
    assert timeout_from_env({WATCHDOG_VAR: "0"}) == 0.0
    assert timeout_from_env({WATCHDOG_VAR: " 12.5 "}) == 12.5
    for bad in ("ten", "1", "-3", "7200", "nan"):
        with pytest.raises(ValueError, match=WATCHDOG_VAR):
            timeout_from_env({WATCHDOG_VAR: bad})
    with pytest.raises(ValueError):
        FreezeWatchdog(0.5)


NODE_THAT_FREEZES = f"""
    import re
    import rclpy
    from alphapose_ros.ros.node_utils import run_nodes

    def node():
        n = rclpy.create_node("freezing_probe")
        def hold_the_gil_in_a_callback():
            {HOLD_THE_GIL}
        n.create_timer(1.0, hold_the_gil_in_a_callback)
        return n

    run_nodes([node])
    """


@pytest.mark.ros
@pytest.mark.fault("node-process-freezes")
def test_a_node_process_frozen_in_a_callback_ends_with_code_1_naming_it():
    code, err, s = _run(NODE_THAT_FREEZES, {WATCHDOG_VAR: "2"}, timeout=60)
    assert code == 1 and "in hold_the_gil_in_a_callback" in err, (code, s, err[-2000:])


@pytest.mark.ros
def test_a_node_process_with_the_watchdog_off_stays_frozen():
    code, err, _ = _run(NODE_THAT_FREEZES, {WATCHDOG_VAR: "0"}, timeout=10)
    assert code is None, err[-2000:]


@pytest.mark.ros
def test_a_bad_watchdog_setting_ends_the_node_process_with_one_line():
    code, err, _ = _run("import rclpy\nfrom alphapose_ros.ros.node_utils import run_nodes\n"
                        "run_nodes([lambda: rclpy.create_node('probe')])", {WATCHDOG_VAR: "soon"})
    assert code == 2 and WATCHDOG_VAR in err and "Traceback" not in err, err[-2000:]
