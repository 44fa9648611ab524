"""The tracking node's smoothing, the ROS4HRI bodies adapter and the fall-detection node over DDS (each in its
own process): tracked keypoints come out steadied with the unsmoothed ones beside them; a subscriber
written against hri_msgs sees bodies appear and disappear with the tracks, with REP-155's topics and
normalised 18-point skeletons; the fall detector publishes one FallEvent for the track that falls."""
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

pytestmark = pytest.mark.ros


class Peer:
    """A driver node in a private context: publishes tracked poses, records what arrives on `subs`."""

    def __init__(self, domain: int, subs: dict, topic: str = "poses"):
        import rclpy
        from rclpy.executors import SingleThreadedExecutor

        from alphapose_ros.msg import WholeBodyPoseArray
        from alphapose_ros.ros.qos import stage_qos

        self.ctx = rclpy.Context()
        rclpy.init(context=self.ctx, domain_id=domain)
        self.node = rclpy.create_node("peer", context=self.ctx)
        self.pub = self.node.create_publisher(WholeBodyPoseArray, topic, stage_qos(50, True))
        self.got = {topic: [] for topic in subs}
        self.extra = {}
        for topic, msg_type in subs.items():
            self.subscribe(topic, msg_type)
        self.ex = SingleThreadedExecutor(context=self.ctx)
        self.ex.add_node(self.node)
        self.spinner = threading.Thread(target=self.ex.spin, daemon=True)
        self.spinner.start()

    def subscribe(self, topic, msg_type):
        from alphapose_ros.ros.qos import stage_qos

        self.got.setdefault(topic, [])
        self.extra[topic] = self.node.create_subscription(msg_type, topic, self.got[topic].append, stage_qos(50, True))

    def wait(self, cond, timeout=20.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if cond():
                return True
            time.sleep(0.05)
        return False

    def close(self):
        import rclpy

        self.ex.shutdown()
        self.spinner.join(5)
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.ctx)


def start_node(executable: str, domain: int, *params: str) -> subprocess.Popen:
    from alphapose_ros.ros.runner import executables_dir

    args = [a for p in ("offline:=true",) + params for a in ("-p", p)]
    return subprocess.Popen([sys.executable, str(executables_dir() / executable), "--ros-args", *args],
                            env=dict(os.environ, ROS_DOMAIN_ID=str(domain)), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def stop(proc) -> str:
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out


def poses_msg(t: float, track_ids, keypoints, fmt="halpe_26", w=640, h=480):
    from alphapose_ros.core.poses import TRACK_CONFIRMED, PoseSet
    from alphapose_ros.ros.conversions import header_at, poses_to_msg

    n = len(track_ids)
    kp = np.asarray(keypoints, np.float32).reshape(n, -1, 2)
    boxes = np.concatenate([kp.min(1), kp.max(1)], axis=1)
    p = PoseSet(fmt, boxes, np.full(n, 0.8), kp, np.full(kp.shape[:2], 0.9), np.full(n, 2.0),
                track_ids=np.asarray(track_ids), track_states=np.full(n, TRACK_CONFIRMED))
    return poses_to_msg(p, header_at(t, "camera_optical"), w, h)


def test_the_tracking_node_steadies_still_people_and_keeps_the_unsmoothed_poses_beside(vision_msgs):
    from alphapose_ros.msg import WholeBodyPoseArray
    from alphapose_ros.ros.conversions import msg_to_poses
    from alphapose_ros.ros.smoke import synthetic_poses

    rng = np.random.default_rng(5)
    still = synthetic_poses(2, "halpe_26", seed=1).keypoints * 0.7
    frames = [still + rng.normal(0, 1.5, still.shape) for _ in range(20)]
    domain = 20 + os.getpid() % 40
    got = {}
    for smoothing in ("true", "false"):
        proc = start_node("tracking_node", domain, f"smoothing:={smoothing}", "frame_rate:=10.0")
        peer = Peer(domain, {"poses": WholeBodyPoseArray, "poses_unsmoothed": WholeBodyPoseArray}, topic="poses_nms")
        try:
            assert peer.wait(lambda: peer.pub.get_subscription_count() > 0), stop(proc)
            time.sleep(1.0)
            for i, kp in enumerate(frames):  # untracked input, 10 Hz
                peer.pub.publish(poses_msg(10 + 0.1 * i, [-1, -1], kp))
            assert peer.wait(lambda: len(peer.got["poses"]) == 20), stop(proc)
            if smoothing == "true":
                assert peer.wait(lambda: len(peer.got["poses_unsmoothed"]) == 20), stop(proc)
            got[smoothing] = {k: [msg_to_poses(m) for m in v] for k, v in peer.got.items()}
        finally:
            peer.close()
            out = stop(proc)
        assert "Traceback" not in out, out
    smooth, raw = got["true"]["poses"], got["true"]["poses_unsmoothed"]
    assert [p.track_ids.tolist() for p in smooth] == [p.track_ids.tolist() for p in raw]
    order = [np.argsort(p.boxes[:, 0]) for p in raw]  # the same person in the same row of every frame
    raw_kp = np.stack([p.keypoints[o] for p, o in zip(raw, order)])
    smooth_kp = np.stack([p.keypoints[o] for p, o in zip(smooth, order)])
    np.testing.assert_allclose(raw_kp, np.stack([f[np.argsort(f.min(1)[:, 0])] for f in frames]), atol=1e-4)
    assert smooth_kp[8:].std(0).mean() < raw_kp[8:].std(0).mean() / 3
    assert got["false"]["poses_unsmoothed"] == []  # smoothing off: poses are the tracked poses as they are
    off = np.stack([p.keypoints[np.argsort(p.boxes[:, 0])] for p in got["false"]["poses"]])
    np.testing.assert_allclose(off, raw_kp, atol=1e-4)


def test_rep155_bodies_appear_and_disappear_with_the_tracks(vision_msgs):
    from hri_msgs.msg import IdsList, NormalizedRegionOfInterest2D, Skeleton2D

    from alphapose_ros.core.skeletons import get_format
    from alphapose_ros.ros.smoke import synthetic_poses

    domain = 20 + os.getpid() % 40
    proc = start_node("hri_bodies_node", domain, "forget_after:=0.5")
    peer = Peer(domain, {"/humans/bodies/tracked": IdsList, "/humans/bodies/b1/skeleton2d": Skeleton2D,
                         "/humans/bodies/b1/roi": NormalizedRegionOfInterest2D})
    try:
        assert peer.wait(lambda: peer.pub.get_subscription_count() > 0), stop(proc)
        time.sleep(1.0)
        kp = synthetic_poses(2, "halpe_26", seed=1).keypoints * 0.7  # inside the 640x480 image
        names = get_format("halpe_26").names
        for i in range(5):  # tracks 1 and 2
            peer.pub.publish(poses_msg(10 + 0.1 * i, [1, 2], kp))
        assert peer.wait(lambda: len(peer.got["/humans/bodies/tracked"]) == 5 and peer.got["/humans/bodies/b1/roi"]
                         and peer.got["/humans/bodies/b1/skeleton2d"]), stop(proc)
        assert [list(m.ids) for m in peer.got["/humans/bodies/tracked"]] == [["b1", "b2"]] * 5
        sk = peer.got["/humans/bodies/b1/skeleton2d"][-1]
        assert len(sk.skeleton) == 18
        nose, rs = sk.skeleton[Skeleton2D.NOSE], sk.skeleton[Skeleton2D.RIGHT_SHOULDER]
        assert (nose.x, nose.y) == pytest.approx((kp[0, 0, 0] / 640, kp[0, 0, 1] / 480), abs=1e-6)
        j = names.index("right_shoulder")
        assert (rs.x, rs.y) == pytest.approx((kp[0, j, 0] / 640, kp[0, j, 1] / 480), abs=1e-6)
        roi = peer.got["/humans/bodies/b1/roi"][-1]
        assert 0 <= roi.xmin < roi.xmax <= 1 and 0 <= roi.ymin < roi.ymax <= 1
        assert peer.node.count_publishers("/humans/bodies/b2/skeleton2d") == 1
        for i in range(5, 15):  # track 1 leaves; after 0.5 s of image time its topics are withdrawn
            peer.pub.publish(poses_msg(10 + 0.1 * i, [2], kp[1:]))
        assert peer.wait(lambda: len(peer.got["/humans/bodies/tracked"]) == 15), stop(proc)
        assert [list(m.ids) for m in peer.got["/humans/bodies/tracked"][5:]] == [["b2"]] * 10
        assert peer.wait(lambda: peer.node.count_publishers("/humans/bodies/b1/roi") == 0)
        assert peer.node.count_publishers("/humans/bodies/b2/roi") == 1
    finally:
        peer.close()
        out = stop(proc)
    assert "Traceback" not in out, out


def test_the_fall_detection_node_publishes_one_event_for_the_track_that_falls(vision_msgs):
    from alphapose_ros.synthetic.fall_sequences import FPS, sequence
    from alphapose_ros.msg import FallEvent

    rng = np.random.default_rng(0)
    fall, landed = sequence("falling", rng)
    walk, _ = sequence("walking", rng)
    n = min(len(fall), len(walk))
    domain = 60 + os.getpid() % 30
    proc = start_node("fall_detection_node", domain)
    peer = Peer(domain, {"falls": FallEvent})
    try:
        assert peer.wait(lambda: peer.pub.get_subscription_count() > 0), stop(proc)
        time.sleep(1.0)
        for i in range(n):
            peer.pub.publish(poses_msg(50 + i / FPS, [4, 9], np.stack([walk[i], fall[i]]), fmt="coco_17",
                                       w=1000, h=1000))
        assert peer.wait(lambda: len(peer.got["falls"]) >= 1)
        time.sleep(1.0)
    finally:
        peer.close()
        out = stop(proc)
    ev = peer.got["falls"]
    assert [e.track_id for e in ev] == [9], out
    t = ev[0].header.stamp.sec + ev[0].header.stamp.nanosec * 1e-9
    assert 0 < t - (50 + landed) < 1.0 and not ev[0].from_3d and 0 < ev[0].confidence <= 1
    assert "fall: track 9" in out and "Traceback" not in out


def test_the_fall_detection_node_takes_up_from_the_frame_of_the_3d(vision_msgs):
    """3D poses in map (z up) and in the camera's optical frame (y down): a fall away from the camera is one event
    either way, from 3D."""
    from alphapose_ros.core.poses import TRACK_CONFIRMED, PoseSet
    from alphapose_ros.msg import FallEvent
    from alphapose_ros.ros.conversions import header_at, poses_to_msg
    from alphapose_ros.synthetic.fall_scenes_3d import FPS, to_optical, world_sequence

    world, landed = world_sequence("fall away", np.random.default_rng(7))
    domain = 60 + os.getpid() % 30
    got = {}
    for frame, points in (("map", world), ("camera_optical", to_optical(world))):
        proc = start_node("fall_detection_node", domain, "poses_topic:=poses_3d")
        peer = Peer(domain, {"falls": FallEvent}, topic="poses_3d")
        try:
            assert peer.wait(lambda: peer.pub.get_subscription_count() > 0), stop(proc)
            time.sleep(1.0)
            for i, xyz in enumerate(points):
                p = PoseSet("coco_17", np.zeros((1, 4)), np.ones(1), np.zeros((1, 17, 2)), np.ones((1, 17)),
                            np.ones(1), track_ids=np.array([3]), track_states=np.array([TRACK_CONFIRMED]),
                            keypoints_3d=xyz[None], frame_3d=frame)
                peer.pub.publish(poses_to_msg(p, header_at(20 + i / FPS, "camera_optical"), 848, 480))
            assert peer.wait(lambda: len(peer.got["falls"]) >= 1, timeout=10), stop(proc)
            time.sleep(0.5)
        finally:
            peer.close()
            out = stop(proc)
        assert "Traceback" not in out, out
        got[frame] = peer.got["falls"]
    for frame, ev in got.items():
        assert [e.track_id for e in ev] == [3] and ev[0].from_3d, frame
