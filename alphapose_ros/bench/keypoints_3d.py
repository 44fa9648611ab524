"""3D keypoint error of the keypoints_3d node, measured over DDS on synthetic RGB-D scenes of known
geometry (synthetic/rgbd_scenes.py).

    python -m alphapose_ros.bench.keypoints_3d [--frames 12] [--json out.json]

The node runs in its own process; this process is the camera and the pose pipeline: for each frame it
publishes camera_info, a 16UC1 depth image and the people's true 2D keypoints (optionally with pose-network
noise) as tracked poses, and collects `poses_3d` and `people_3d`. Per distance (1-5 m): median and 95th
percentile of the 3D error of the keypoints the depth camera can see, the share of those that got a 3D
point, and the person-position error; then the same with holes over each person's right arm (keypoints
there must come out invalid, not wrong) and with lens distortion.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from alphapose_ros.core.io.results import write_json
from alphapose_ros.core.people3d.keypoints_3d import person_positions
from alphapose_ros.harness.depth_camera import camera_info_msg, depth_msg, frame_poses, node_and_driver
from alphapose_ros.synthetic.rgbd_scenes import camera, person, render

DISTANCES = (1.0, 2.0, 3.0, 4.0, 5.0)
CASES = {  # name -> (lens distortion, 2D keypoint noise in px, holes over the right arm)
    "exact 2D": (False, 0.0, False),
    "2D noise 2 px": (False, 2.0, False),
    "distorted lens": (True, 0.0, False),
    "holes": (False, 0.0, True),
}


def measure(frames: int = 12, domain: int = 77, seed: int = 0, cases: dict = CASES) -> dict:
    """{case: {distance: figures}}: every case's frames through one keypoints_3d node process over DDS."""
    from alphapose_ros.ros.conversions import header_at, msg_to_poses, poses_to_msg

    rng = np.random.default_rng(seed)
    out: dict = {}
    with node_and_driver(domain, params=("smoothing:=false",)) as driver:  # each frame another scene
        t = 1000.0
        for case, (distorted, noise_px, holes) in cases.items():
            intr = camera(distorted)
            out[case] = {}
            # a camera streams camera_info beside its images: the node has this camera's before its first frame
            driver.info_pub.publish(camera_info_msg(intr, header_at(t, "camera_color_optical_frame")))
            time.sleep(0.5)
            for d in DISTANCES:
                err, pos_err, valid, seen, hole_valid, hole_n, lost = [], [], 0, 0, 0, 0, 0
                for _ in range(frames):
                    t += 0.1
                    header = header_at(t, "camera_color_optical_frame")
                    fr = render([person(d + rng.uniform(-0.25, 0.25), rng, intr)], intr, rng, holes=holes)
                    kp = fr.keypoints + rng.normal(0.0, noise_px, fr.keypoints.shape).astype(np.float32)
                    poses = frame_poses(kp, intr)
                    m3, people = driver.send(header, camera_info_msg(intr, header), depth_msg(fr.depth_mm, header),
                                             poses_to_msg(poses, header, intr.width, intr.height))
                    if m3 is None or people is None:
                        lost += 1
                        continue
                    got = msg_to_poses(m3)
                    xyz = got.keypoints_3d
                    look = fr.visible & ~fr.in_hole
                    e = np.linalg.norm(xyz - fr.truth, axis=-1)
                    ok = look & np.isfinite(e)
                    err += list(e[ok])
                    valid += int(ok.sum())
                    seen += int(look.sum())
                    hole_n += int(fr.in_hole.sum())
                    hole_valid += int(np.isfinite(xyz[..., 2][fr.in_hole]).sum())
                    truth_pos = person_positions(fr.truth, "coco_17")  # the true torso centre
                    pe = np.linalg.norm(got.positions - truth_pos, axis=-1)
                    pos_err += list(pe[np.isfinite(pe)])
                    located = np.all(np.isfinite(got.positions), axis=1)
                    if [dd.id for dd in people.detections] != [str(i) for i in got.track_ids[located]]:
                        raise AssertionError("people_3d does not hold the located people by track ID")
                e = np.array(err) * 100
                out[case][d] = {
                    "median_cm": float(np.median(e)) if len(e) else float("nan"),
                    "p95_cm": float(np.percentile(e, 95)) if len(e) else float("nan"),
                    "valid": valid / max(seen, 1), "keypoints": seen,
                    "position_median_cm": float(np.median(pos_err) * 100) if pos_err else float("nan"),
                    "hole_keypoints": hole_n, "hole_keypoints_with_3d": hole_valid, "frames_lost": lost}
    return out


def table(res: dict) -> str:
    lines = ["| case | distance | median error | 95th pct | keypoints with 3D | position error (median) "
             "| in holes with 3D | frames lost |", "|---|---|---|---|---|---|---|---|"]
    for case, by_d in res.items():
        for d, r in by_d.items():
            holes = f"{r['hole_keypoints_with_3d']}/{r['hole_keypoints']}" if r["hole_keypoints"] else "-"
            lines.append(f"| {case} | {d:.0f} m | {r['median_cm']:.2f} cm | {r['p95_cm']:.2f} cm | "
                         f"{100 * r['valid']:.1f}% of {r['keypoints']} | {r['position_median_cm']:.2f} cm | {holes} | "
                         f"{r['frames_lost']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=12, help="frames per distance and case")
    ap.add_argument("--domain", type=int, default=77, help="ROS_DOMAIN_ID of the measurement")
    ap.add_argument("--json", help="also write the figures here")
    a = ap.parse_args(argv)
    res = measure(a.frames, a.domain)
    print(table(res))
    if a.json:
        write_json(a.json, res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
