"""The robot_distance node: a links file that is missing or wrong is refused with the reason (its accuracy against
a moving link: test/bench/test_bench_robot_distance.py, on the benchmark's measurement)."""
import os
import subprocess
import sys
import threading
import time

import pytest

pytestmark = pytest.mark.ros


@pytest.mark.parametrize("links, says", [("", "links_file is empty"),
                                         ("/nonexistent/links.yaml", "cannot use links_file"),
                                         ("BAD", "link 1 needs frame")])
def test_a_missing_or_wrong_links_file_is_refused_with_the_reason(vision_msgs, tmp_path, links, says):
    from alphapose_ros.ros.runner import executables_dir

    if links == "BAD":
        links = str(tmp_path / "bad.yaml")
        (tmp_path / "bad.yaml").write_text("links:\n  - {a: [0, 0, 0], radius: 0.1}\n")
    params = ["-p", f"links_file:={links}"] if links else []  # empty: the default
    proc = subprocess.Popen([sys.executable, str(executables_dir() / "robot_distance_node"), "--ros-args", *params],
                            env=dict(os.environ, ROS_DOMAIN_ID=str(os.getpid() % 90)), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    seen = []
    reader = threading.Thread(target=lambda: seen.extend(proc.stdout), daemon=True)
    reader.start()
    end = time.monotonic() + 60  # start-up takes seconds on a loaded machine
    while not any(says in line for line in seen) and time.monotonic() < end and proc.poll() is None:
        time.sleep(0.1)
    proc.terminate()
    proc.wait(15)
    reader.join(5)
    out = "".join(seen)
    assert says in out and "Traceback" not in out, out
