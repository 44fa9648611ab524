"""Distance to the robot, over DDS: the keypoints_3d node (target_frame:=base_link) and the robot_distance node,
each in its own process, on synthetic RGB-D scenes of known geometry (synthetic/rgbd_scenes.py).

    python -m alphapose_ros.bench.robot_distance [--frames 30]

This process is the robot and the camera: /tf_static (base_link -> camera_link -> camera_color_optical_frame,
the camera 1.2 m up) and /tf (base_link -> arm_link at 30 Hz: an arm capsule 0.6 m long, 6 cm radius, swinging
between the camera and the person), camera_info, depth, and the person's true 2D keypoints with 2 px noise.
Per distance of the person from the camera (1, 2, 3 m): the median |error| of the reported distance against
the true one (nearest true keypoint to the capsule's surface), the share of frames whose 95% interval holds
the truth, the frames answered, and the latency the two stages add (image stamp to distance message).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

from alphapose_ros.harness.depth_camera import camera_info_msg, depth_msg, frame_poses, node_and_driver
from alphapose_ros.bench.robot_frames import OPTICAL, tf_msg
from alphapose_ros.core.people3d.robot_distance import segment_distance
from alphapose_ros.core.people3d.tf_buffer import Rigid
from alphapose_ros.synthetic.rgbd_scenes import camera, person, render

CAMERA = "camera_color_optical_frame"
CAMERA_IN_BASE = Rigid(np.array([0.0, 0.0, 1.2]), np.array([0.0, 0.0, 0.0, 1.0])) @ Rigid(np.zeros(3), OPTICAL)
ARM = ((0.0, 0.0, -0.3), (0.0, 0.0, 0.3), 0.06)  # capsule axis ends in arm_link, radius
LINKS_YAML = "links:\n  - {frame: arm_link, a: [0.0, 0.0, -0.3], b: [0.0, 0.0, 0.3], radius: 0.06}\n"


def arm_in_base(t: float, d: float) -> Rigid:
    """The arm capsule swings across, between the camera and a person d metres ahead."""
    return Rigid(np.array([d - 0.55 + 0.15 * np.sin(2.0 * t), 0.35 * np.cos(1.5 * t), 1.0]),
                 np.array([0.0, 0.0, 0.0, 1.0]))


def true_distance(joints_base: np.ndarray, arm: Rigid) -> float:
    a, b = arm.apply(np.array(ARM[:2]))
    return float((segment_distance(joints_base, joints_base, a, b) - ARM[2]).min())


def measure(frames: int = 30, domain: int = 81, seed: int = 0, distances=(1.0, 2.0, 3.0)) -> dict:
    from alphapose_ros.msg import RobotDistanceArray
    from alphapose_ros.ros.conversions import header_at, poses_to_msg
    from alphapose_ros.ros.qos import stage_qos
    from alphapose_ros.ros.runner import executables_dir
    from tf2_msgs.msg import TFMessage

    rng = np.random.default_rng(seed)
    intr = camera()
    links = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
    links.write(LINKS_YAML)
    links.close()
    env = dict(os.environ, ROS_DOMAIN_ID=str(domain))
    proc = subprocess.Popen([sys.executable, str(executables_dir() / "robot_distance_node"), "--ros-args",
                             "-p", "offline:=true", "-p", f"links_file:={links.name}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    out: dict = {}
    try:
        with node_and_driver(domain, params=("target_frame:=base_link",)) as drv:
            got, lock = {}, threading.Lock()

            def on_distance(m):
                with lock:
                    got[(m.header.stamp.sec, m.header.stamp.nanosec)] = (m, time.time())

            drv.node.create_subscription(RobotDistanceArray, "/humans/robot_distance", on_distance,
                                         stage_qos(10, True))
            h0 = header_at(50.0, "base_link")
            drv.tf_static_pub.publish(TFMessage(transforms=[
                tf_msg(h0, "base_link", "camera_link", Rigid(np.array([0.0, 0.0, 1.2]), np.array([0.0, 0.0, 0.0, 1.0]))),
                tf_msg(h0, "camera_link", CAMERA, Rigid(np.zeros(3), OPTICAL))]))
            deadline = time.monotonic() + 30
            while drv.node.count_subscribers("/humans/robot_distance") + drv.node.count_publishers(
                    "/humans/robot_distance") < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            drv.info_pub.publish(camera_info_msg(intr, header_at(50.0, CAMERA)))
            time.sleep(1.5)
            t0 = 100.0
            for d in distances:
                err, held, answered, latency, width = [], 0, 0, [], []
                body = person(d, rng, intr)
                for f in range(frames):
                    t = t0 + f / 30
                    h = header_at(t, CAMERA)
                    arm = arm_in_base(t, d)
                    drv.tf_pub.publish(TFMessage(transforms=[tf_msg(h, "base_link", "arm_link", arm)]))
                    time.sleep(0.005)
                    fr = render([body], intr, rng)
                    kp = fr.keypoints + rng.normal(0.0, 2.0, fr.keypoints.shape).astype(np.float32)
                    sent = time.time()
                    drv.send(h, camera_info_msg(intr, h), depth_msg(fr.depth_mm, h),
                             poses_to_msg(frame_poses(kp, intr), h, intr.width, intr.height), want_people=False)
                    key = (h.stamp.sec, h.stamp.nanosec)
                    end = time.monotonic() + 5
                    while key not in got and time.monotonic() < end:
                        time.sleep(0.002)
                    if key not in got:
                        continue
                    m, when = got[key]
                    answered += 1
                    latency.append(1000 * (when - sent))
                    truth = true_distance(CAMERA_IN_BASE.apply(fr.truth[0]), arm)
                    r = m.people[0]
                    err.append(abs(r.distance - truth))
                    held += r.lower_95 <= truth <= r.upper_95
                    width.append(r.upper_95 - r.lower_95)
                out[d] = {"median_error_cm": 100 * float(np.median(err)) if err else float("nan"),
                          "interval_holds": held / max(answered, 1), "answered": answered, "frames": frames,
                          "interval_width_cm": 100 * float(np.median(width)) if width else float("nan"),
                          "latency_ms": float(np.median(latency)) if latency else float("nan")}
                t0 += 10.0
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        os.unlink(links.name)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=30)
    ap.add_argument("--domain", type=int, default=81)
    a = ap.parse_args(argv)
    res = measure(a.frames, a.domain)
    print("| person at | distance error (median) | 95% interval holds the truth (median width) | answered | stamp to "
          "distance over DDS (keypoints_3d + robot_distance, median) |")
    print("|---|---|---|---|---|")
    for d, r in res.items():
        print(f"| {d:.0f} m | {r['median_error_cm']:.2f} cm | {100 * r['interval_holds']:.0f}% "
              f"({r['interval_width_cm']:.0f} cm) | {r['answered']} of {r['frames']} | {r['latency_ms']:.1f} ms |")
    cost = added_cost_ms()
    print("compute added per frame for 10 people x 136 keypoints (ms): " + ", ".join(
        f"{k} {v:.2f}" for k, v in cost.items()))
    return 0


def added_cost_ms(people: int = 10, fmt: str = "halpe_136", frames: int = 100) -> dict[str, float]:
    """Milliseconds per frame of what the robot-frame features add: 2D and 3D smoothing, the move into the
    target frame, the body TF frames, and the distance to 5 links with viewing rays."""
    from alphapose_ros.core.people3d.body_frames import rotation_to_quaternion, torso_frames
    from alphapose_ros.core.people3d.robot_distance import person_distances
    from alphapose_ros.core.people3d.tf_buffer import poses_in_frame
    from alphapose_ros.core.tracking.one_euro import (METRE_DEFAULTS, PIXEL_DEFAULTS, TrackSmoother,
                                                      smooth_keypoints_2d, smooth_keypoints_3d)
    from alphapose_ros.ros.smoke import synthetic_poses

    rng = np.random.default_rng(0)
    p = synthetic_poses(people, fmt, seed=1)
    p.track_ids = np.arange(1, people + 1)
    p.keypoints_3d = rng.uniform(1.0, 3.0, (people, p.num_keypoints, 3))
    p.positions = p.keypoints_3d[:, 0]
    links = rng.normal(size=(5, 2, 3))
    rays = rng.normal(size=(people, p.num_keypoints, 3))
    s2, s3, sp = TrackSmoother(PIXEL_DEFAULTS), TrackSmoother(METRE_DEFAULTS), TrackSmoother(METRE_DEFAULTS)
    steps = {
        "2D smoothing": lambda t: smooth_keypoints_2d(s2, t, p, 0.1),
        "target frame": lambda t: poses_in_frame(p, CAMERA_IN_BASE, "base_link"),
        "3D smoothing": lambda t: smooth_keypoints_3d(s3, sp, t, p),
        "body frames": lambda t: rotation_to_quaternion(torso_frames(p.keypoints_3d, fmt)[1]),
        "distance": lambda t: person_distances(p.keypoints_3d, p.keypoint_scores, links, np.full(5, 0.1),
                                               np.zeros(3), rays),
    }
    out = {}
    for name, step in steps.items():
        start = time.perf_counter()
        for f in range(frames):
            step(f / 30)
        out[name] = 1000 * (time.perf_counter() - start) / frames
    out["total"] = sum(out.values())
    return out


if __name__ == "__main__":
    sys.exit(main())
