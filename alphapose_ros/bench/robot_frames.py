"""People in the robot's frames, over DDS: the keypoints_3d node with `target_frame:=map` and `tf:=true` while
the robot drives and turns (synthetic RGB-D scenes of known geometry, synthetic/rgbd_scenes.py).

    python -m alphapose_ros.bench.robot_frames [--frames 60]

This process is the robot: /tf_static (map -> odom, base_link -> camera_link -> camera_color_optical_frame)
and /tf (odom -> base_link at 30 Hz: 0.5 m/s forward, yaw swinging +-0.2 rad), and the camera and pose
pipeline (camera_info, depth, the true 2D keypoints of one person with 2 px noise). The person stands still
in `map`. Printed: the median error of the person's keypoints and position in `map` (what the target asks:
within 2 cm while the camera moves), the error of the body_b1 TF frame's origin (torso centre), the speed the
node reports for the still person, and the frames lost. Truth for the position and the torso centre is taken
over the keypoints the node had 3D for (a hip hidden behind an arm moves both, in truth as in the output). Then the same with a target frame that never appears:
every frame must still come out, in the camera's frame, with that frame id.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from alphapose_ros.harness.depth_camera import camera_info_msg, depth_msg, frame_poses, node_and_driver
from alphapose_ros.core.people3d.tf_buffer import Rigid
from alphapose_ros.synthetic.rgbd_scenes import camera, person, render

OPTICAL = np.array([-0.5, 0.5, -0.5, 0.5])  # camera_link (x forward, z up) -> optical (z forward, y down)
CAMERA_ON_BASE = np.array([0.2, 0.0, 1.2])
CAMERA = "camera_color_optical_frame"


def base_in_odom(t: float) -> Rigid:
    yaw = 0.2 * np.sin(2 * np.pi * 0.5 * t)
    return Rigid(np.array([0.5 * t, 0.0, 0.0]), np.array([0.0, 0.0, np.sin(yaw / 2), np.cos(yaw / 2)]))


def camera_in_map(t: float) -> Rigid:
    odom = Rigid(np.array([1.0, -2.0, 0.0]), np.array([0.0, 0.0, 0.0, 1.0]))
    return odom @ base_in_odom(t) @ Rigid(CAMERA_ON_BASE, np.array([0.0, 0.0, 0.0, 1.0])) @ Rigid(np.zeros(3), OPTICAL)


def tf_msg(header, parent: str, child: str, rigid: Rigid):
    """A TransformStamped placing `child` in `parent` at the header's stamp."""
    from alphapose_ros.ros.conversions import transform_msg

    return transform_msg(header.stamp, parent, child, rigid.t, rigid.q)


def measure(frames: int = 60, domain: int = 78, seed: int = 0, target: str = "map") -> dict:
    from tf2_msgs.msg import TFMessage

    from alphapose_ros.core.people3d.keypoints_3d import person_positions
    from alphapose_ros.ros.conversions import header_at, msg_to_poses, poses_to_msg

    rng = np.random.default_rng(seed)
    intr = camera()
    standing = person(3.0, rng, intr)  # in the optical frame at t = 0 ...
    in_map = camera_in_map(0.0).apply(standing)  # ... and where it stays, in map
    kp_err, pos_err, full_err, body_err, speed, lost, frames_3d, torso = [], [], [], [], [], 0, set(), {}
    t0 = 100.0
    with node_and_driver(domain, params=(f"target_frame:={target}", "tf:=true")) as drv:
        h0 = header_at(t0, "map")
        drv.tf_static_pub.publish(TFMessage(transforms=[
            tf_msg(h0, "map", "odom", Rigid(np.array([1.0, -2.0, 0.0]), np.array([0.0, 0.0, 0.0, 1.0]))),
            tf_msg(h0, "base_link", "camera_link", Rigid(CAMERA_ON_BASE, np.array([0.0, 0.0, 0.0, 1.0]))),
            tf_msg(h0, "camera_link", CAMERA, Rigid(np.zeros(3), OPTICAL))]))
        drv.info_pub.publish(camera_info_msg(intr, header_at(t0, CAMERA)))
        time.sleep(0.5)
        for f in range(frames):
            t = f / 30
            h = header_at(t0 + t, CAMERA)
            drv.tf_pub.publish(TFMessage(transforms=[tf_msg(h, "odom", "base_link", base_in_odom(t))]))
            time.sleep(0.005)  # odometry is older than the image it serves
            joints = camera_in_map(t).inverse().apply(in_map)
            fr = render([joints], intr, rng)
            kp = fr.keypoints + rng.normal(0.0, 2.0, fr.keypoints.shape).astype(np.float32)
            got, _ = drv.send(h, camera_info_msg(intr, h), depth_msg(fr.depth_mm, h),
                              poses_to_msg(frame_poses(kp, intr), h, intr.width, intr.height))
            if got is None:
                lost += 1
                continue
            p = msg_to_poses(got)
            frames_3d.add(p.frame_3d)
            truth = in_map if p.frame_3d == target else joints
            e = np.linalg.norm(p.keypoints_3d[0] - truth, axis=-1)
            kp_err += list(e[fr.visible[0] & np.isfinite(e)])
            seen = np.where(np.isfinite(p.keypoints_3d[0]), truth, np.nan)  # the truth of what the node had
            pos_err.append(float(np.linalg.norm(p.positions[0] - person_positions(seen[None], "coco_17")[0])))
            full_err.append(float(np.linalg.norm(p.positions[0] - person_positions(truth[None], "coco_17")[0])))
            speed.append(float(np.linalg.norm(p.velocities[0])))
            torso[(h.stamp.sec, h.stamp.nanosec)] = np.nanmean(seen[[5, 6, 11, 12]], 0)
        last = (h.stamp.sec, h.stamp.nanosec)
        end = time.monotonic() + 5  # the last body frame on /tf, or give up waiting
        while time.monotonic() < end and not any((ts.header.stamp.sec, ts.header.stamp.nanosec) == last
                                                 for ts in list(drv.tf_got)):
            time.sleep(0.05)
        for ts in list(drv.tf_got):
            key = (ts.header.stamp.sec, ts.header.stamp.nanosec)
            if ts.child_frame_id == "body_b1" and ts.header.frame_id == target and key in torso:
                o = ts.transform.translation
                body_err.append(float(np.linalg.norm(np.array([o.x, o.y, o.z]) - torso[key])))
    return {"keypoint_median_cm": 100 * float(np.median(kp_err)) if kp_err else float("nan"),
            "position_median_cm": 100 * float(np.nanmedian(pos_err)) if pos_err else float("nan"),
            "position_full_median_cm": 100 * float(np.nanmedian(full_err)) if full_err else float("nan"),
            "body_frame_median_cm": 100 * float(np.median(body_err)) if body_err else float("nan"),
            "body_frames": len(body_err), "speed_median": float(np.nanmedian(speed)) if speed else float("nan"),
            "frames": frames, "lost": lost, "frames_3d": sorted(frames_3d)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--domain", type=int, default=78)
    a = ap.parse_args(argv)
    r = measure(a.frames, a.domain)
    print(f"robot driving 0.5 m/s and turning, person standing 2-3 m ahead, {a.frames} frames at 30 Hz, over DDS")
    print("| 3D in | keypoints (median error) | position | body_b1 frame origin | reported speed | frames lost |")
    print("|---|---|---|---|---|---|")
    print(f"| {', '.join(r['frames_3d'])} | {r['keypoint_median_cm']:.2f} cm | {r['position_median_cm']:.2f} cm | "
          f"{r['body_frame_median_cm']:.2f} cm ({r['body_frames']} frames) | {r['speed_median']:.3f} m/s | "
          f"{r['lost']} of {r['frames']} |")
    m = measure(20, a.domain + 1, target="frame_that_never_appears")
    print(f"target frame never published: {m['frames'] - m['lost']} of {m['frames']} frames out, 3D in "
          f"{', '.join(m['frames_3d'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
