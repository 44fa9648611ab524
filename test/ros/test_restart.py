"""A node killed mid-stream (a crash, an OOM kill) and started again: the other processes
keep running, and tracked poses flow again once it is back."""
import os
import signal
import threading
import time

import numpy as np
import pytest

pytestmark = pytest.mark.ros


@pytest.mark.fault("node-killed")
def test_pose_node_killed_and_restarted_mid_stream_the_graph_recovers(vision_msgs, tmp_path):
    import rclpy
    from builtin_interfaces.msg import Time
    from rclpy.executors import SingleThreadedExecutor
    from sensor_msgs.msg import Image
    from std_msgs.msg import Header
    from vision_msgs.msg import Detection2DArray

    from alphapose_ros.harness.graph import graph_commands, scene, start
    from alphapose_ros.core.tracking.matching import iou_matrix
    from alphapose_ros.ros.runner import stop_processes
    from alphapose_ros.core.detectors.base import Detections
    from alphapose_ros.core.io.image_msgs import bgr_to_image
    from alphapose_ros.msg import WholeBodyPoseArray
    from alphapose_ros.ros.detection_msgs import detections_to_msg
    from alphapose_ros.ros.qos import stage_qos

    domain = 150 + os.getpid() % 80
    env = dict(os.environ, ROS_DOMAIN_ID=str(domain))
    cmds = graph_commands(tmp_path, offline=False)  # live: what a robot runs
    procs = {n: start(n, c, tmp_path, env) for n, c in cmds.items()}
    ctx = rclpy.Context()
    rclpy.init(context=ctx, domain_id=domain)
    node = rclpy.create_node("restart_driver", context=ctx)
    got = []
    node.create_subscription(WholeBodyPoseArray, "poses", got.append, stage_qos(4))
    img_pub = node.create_publisher(Image, "image", stage_qos(2))
    det_pub = node.create_publisher(Detection2DArray, "detections_in", stage_qos(2))
    ex = SingleThreadedExecutor(context=ctx)
    ex.add_node(node)
    threading.Thread(target=ex.spin, daemon=True).start()
    stop_camera = threading.Event()
    sent = [0]

    def camera():  # 10 Hz, like a slow camera
        while not stop_camera.is_set():
            f = sent[0]
            img, boxes = scene(f, 2)
            h = Header(stamp=Time(sec=1000 + f // 10, nanosec=(f % 10) * 100_000_000), frame_id="cam")
            det_pub.publish(detections_to_msg(Detections(boxes, np.full(2, 0.9, np.float32), np.zeros(2, np.int64)), h))
            img_pub.publish(bgr_to_image(img, h, Image))
            sent[0] += 1
            time.sleep(0.1)

    def wait_for(cond, seconds):
        deadline = time.monotonic() + seconds
        while not cond() and time.monotonic() < deadline:
            time.sleep(0.1)
        return cond()

    def frame_of(m):
        return (m.header.stamp.sec - 1000) * 10 + m.header.stamp.nanosec // 100_000_000

    cam = threading.Thread(target=camera, daemon=True)
    try:
        assert wait_for(lambda: img_pub.get_subscription_count() >= 1 and node.count_publishers("poses") >= 1, 120)
        cam.start()
        assert wait_for(lambda: len(got) >= 10, 120), "no tracked poses before the restart"
        procs["pose_estimation"].send_signal(signal.SIGKILL)
        procs["pose_estimation"].wait(10)
        killed_at = sent[0]
        time.sleep(2.0)
        n_before = len(got)
        assert all(p.poll() is None for n, p in procs.items() if n != "pose_estimation")
        procs["pose_estimation"] = start("pose_estimation", cmds["pose_estimation"], tmp_path, env)
        assert wait_for(lambda: sum(frame_of(m) > killed_at for m in got) >= 10, 120), \
            (tmp_path / "pose_estimation.log").read_text()[-2000:]
        alive = {n: p.poll() is None for n, p in procs.items()}
    finally:
        stop_camera.set()
        ex.shutdown()
        node.destroy_node()
        rclpy.try_shutdown(context=ctx)
        stop_processes(list(procs.values()))
    assert all(alive.values()), alive
    after = [m for m in got[n_before:] if frame_of(m) > killed_at]
    # where the two walkers cross (boxes overlapping), pose NMS may keep one of them: count the others
    apart = [m for m in after if iou_matrix(*(b[None] for b in scene(frame_of(m), 2)[1]))[0, 0] < 0.3]
    assert apart and all(len(m.poses) == 2 for m in apart), [(frame_of(m), len(m.poses)) for m in after]
    assert all(p.track_id > 0 for m in after for p in m.poses), [[p.track_id for p in m.poses] for m in after]
    frames = [frame_of(m) for m in got]
    assert frames == sorted(frames) and len(set(frames)) == len(frames), (killed_at, frames)  # none replayed
