"""alphapose-pipeline --separate supervises its node processes as a launch file would: a node that ends by
itself is reported by name and exit code and fails the runner (or is restarted with --respawn), and SIGINT,
SIGTERM or SIGHUP to the runner end every node it started."""
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

NODE = textwrap.dedent("""
    import signal, sys, time
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))  # as the package's nodes: stop cleanly on SIGINT
    with open(sys.argv[1], "a") as f:
        f.write("started\\n")
    code = int(sys.argv[2])
    if code >= 0:
        sys.exit(code)
    time.sleep(120)
""")


def _runner(tmp_path, nodes: list[tuple[str, int]], respawn: bool = False) -> subprocess.Popen:
    """supervise() over small stand-in node scripts (the supervision logic does not depend on ROS)."""
    cmds = []
    for name, code in nodes:
        script = tmp_path / name
        script.write_text(NODE)
        cmds.append([sys.executable, str(script), str(tmp_path / f"{name}.starts"), str(code)])
    code = f"import sys; from alphapose_ros.ros.runner import supervise; sys.exit(supervise({cmds!r}, {respawn}))"
    return subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)


def _starts(tmp_path, name: str) -> int:
    path = tmp_path / f"{name}.starts"
    return path.read_text().count("started") if path.exists() else 0


def _alive(tmp_path, name: str) -> bool:
    out = subprocess.run(["pgrep", "-f", str(tmp_path / name)], capture_output=True)
    return out.returncode == 0


@pytest.mark.fault("runner-node-dies")
def test_a_node_that_dies_is_named_and_the_runner_fails_stopping_the_rest(tmp_path):
    r = _runner(tmp_path, [("detection_node", -1), ("pose_estimation_node", 3)])
    _, err = r.communicate(timeout=30)
    assert r.returncode == 1 and "pose_estimation_node exited with code 3" in err
    assert not _alive(tmp_path, "detection_node")


@pytest.mark.fault("signals")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_signals_to_the_runner_end_every_node(tmp_path, sig):
    r = _runner(tmp_path, [("detection_node", -1), ("tracking_node", -1)])
    deadline = time.monotonic() + 20
    while not (_starts(tmp_path, "detection_node") and _starts(tmp_path, "tracking_node")):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    r.send_signal(sig)
    _, err = r.communicate(timeout=30)
    assert r.returncode == 0, err
    assert not _alive(tmp_path, "detection_node") and not _alive(tmp_path, "tracking_node")


@pytest.mark.fault("runner-node-dies")
def test_respawn_restarts_a_node_that_dies(tmp_path):
    r = _runner(tmp_path, [("tracking_node", -1), ("pose_nms_node", 5)], respawn=True)
    deadline = time.monotonic() + 30
    while _starts(tmp_path, "pose_nms_node") < 3:
        assert time.monotonic() < deadline, "not restarted"
        time.sleep(0.2)
    assert r.poll() is None  # still supervising
    os.kill(r.pid, signal.SIGTERM)
    _, err = r.communicate(timeout=30)
    assert "pose_nms_node exited with code 5; restarting it" in err and not _alive(tmp_path, "tracking_node")


def test_composed_with_respawn_the_container_runs_supervised_and_the_watchdog_reaches_it(monkeypatch):
    from alphapose_ros.ros import runner
    from alphapose_ros.ros.watchdog import WATCHDOG_VAR

    seen = {}
    monkeypatch.setattr(runner, "supervise", lambda cmds, respawn: seen.update(cmds=cmds, respawn=respawn) or 0)
    monkeypatch.setattr(runner, "share_dir", lambda: str(REPO))
    monkeypatch.setenv(WATCHDOG_VAR, "30")  # restored after the test, whatever main sets
    assert runner.main(["--respawn", "--watchdog", "12"]) == 0
    assert seen["respawn"] and [os.path.basename(c[1]) for c in seen["cmds"]] == ["pipeline"]
    assert os.environ[WATCHDOG_VAR] == "12"  # the container, a child process, inherits it


def test_a_bad_watchdog_value_is_one_line_and_exit_2(monkeypatch, capsys):
    from alphapose_ros.ros import runner

    monkeypatch.setattr(runner, "share_dir", lambda: str(REPO))
    assert runner.main(["--watchdog", "1"]) == 2
    assert "--watchdog" in capsys.readouterr().err
