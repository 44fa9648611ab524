"""A graph started as a child process (the runner or `ros2 launch`) and a spinning node in this process
that feeds and watches it over DDS; both torn down however the test ends."""
from __future__ import annotations

import os
import subprocess
import threading
from contextlib import contextmanager


@contextmanager
def graph_process(cmd: list[str], domain: int):
    """Yields (the process, its output chunks so far); SIGINT to its process group at the end."""
    proc = subprocess.Popen(cmd, env=dict(os.environ, ROS_DOMAIN_ID=str(domain), PYTHONUNBUFFERED="1"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    out: list[bytes] = []
    threading.Thread(target=lambda: out.extend(iter(lambda: proc.stdout.read1(65536), b"")), daemon=True).start()
    try:
        yield proc, out
    finally:
        os.killpg(proc.pid, 2)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)


@contextmanager
def spinning_node(name: str, domain: int):
    """Yields an rclpy node spun by its own executor thread on `domain`."""
    import rclpy
    from rclpy.executors import SingleThreadedExecutor

    ctx = rclpy.Context()
    rclpy.init(context=ctx, domain_id=domain)
    node = rclpy.create_node(name, context=ctx)
    ex = SingleThreadedExecutor(context=ctx)
    ex.add_node(node)
    spinner = threading.Thread(target=ex.spin, daemon=True)
    spinner.start()
    try:
        yield node
    finally:
        ex.shutdown()
        spinner.join(5)
        node.destroy_node()
        rclpy.try_shutdown(context=ctx)


def text(out: list[bytes]) -> str:
    return b"".join(out).decode(errors="replace")
