"""Benchmark: fill and serialise one WholeBodyPoseArray (default 20 people x 136 keypoints).

Prints the cost of each step and, for comparison, of a naive element-by-element fill
measured in the same run.
"""
from __future__ import annotations

import argparse
import time



def _best_of(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--people", type=int, default=20)
    ap.add_argument("--format", default="halpe_136")
    ap.add_argument("--repeat", type=int, default=50)
    a = ap.parse_args(argv)

    from rclpy.serialization import deserialize_message, serialize_message
    from std_msgs.msg import Header

    from alphapose_ros.msg import WholeBodyPose, WholeBodyPoseArray
    from alphapose_ros.ros.conversions import msg_to_poses, poses_to_msg
    from alphapose_ros.ros.smoke import synthetic_poses

    poses = synthetic_poses(a.people, a.format)
    poses.embeddings = None
    h = Header(frame_id="cam")
    msg = poses_to_msg(poses, h, 640, 480)
    data = serialize_message(msg)

    def naive_fill():
        out = WholeBodyPoseArray()
        for i in range(len(poses)):
            p = WholeBodyPose()
            p.x = [float(v) for v in poses.keypoints[i, :, 0]]
            p.y = [float(v) for v in poses.keypoints[i, :, 1]]
            p.keypoint_scores = [float(v) for v in poses.keypoint_scores[i]]
            out.poses.append(p)

    t_fill = _best_of(lambda: poses_to_msg(poses, h, 640, 480), a.repeat)
    t_ser = _best_of(lambda: serialize_message(msg), a.repeat)
    t_de = _best_of(lambda: deserialize_message(data, WholeBodyPoseArray), a.repeat)
    t_unpack = _best_of(lambda: msg_to_poses(msg), a.repeat)
    t_naive = _best_of(naive_fill, max(3, a.repeat // 5))
    print(f"WholeBodyPoseArray, {a.people} people x {poses.num_keypoints} keypoints "
          f"({len(data)} bytes serialised), best of {a.repeat}:")
    print(f"  fill (poses_to_msg)      {t_fill * 1e3:8.3f} ms")
    print(f"  serialise                {t_ser * 1e3:8.3f} ms")
    print(f"  deserialise              {t_de * 1e3:8.3f} ms")
    print(f"  unpack (msg_to_poses)    {t_unpack * 1e3:8.3f} ms")
    print(f"  naive per-element fill   {t_naive * 1e3:8.3f} ms  ({t_naive / t_fill:.1f}x the array fill)")


if __name__ == "__main__":
    main()
