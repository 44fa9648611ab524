"""The keypoints_3d node over DDS (its own process): people_3d carries the track IDs, and unusable depth or
camera_info leaves the poses flowing without 3D, the reason logged once (its accuracy at 1-5 m and in a
driving robot's map frame: test/bench/test_bench_keypoints_3d.py and test_bench_robot_frames.py, on the benchmarks'
measurements)."""
import os
import time

import numpy as np
import pytest

from alphapose_ros.harness import depth_camera as rig

pytestmark = pytest.mark.ros


@pytest.mark.fault("depth-unusable")
def test_unusable_depth_or_camera_info_leaves_the_poses_flowing_without_3d(vision_msgs, tmp_path):
    from rclpy.serialization import serialize_message

    from alphapose_ros.synthetic.rgbd_scenes import camera, person, render
    from alphapose_ros.ros.conversions import header_at, msg_to_poses, poses_to_msg

    rng = np.random.default_rng(3)
    intr = camera()
    fr = render([person(2.0, rng, intr)], intr, rng)
    log = tmp_path / "node.log"
    with rig.node_and_driver(10 + os.getpid() % 40, str(log)) as drv:
        def send(t, info, depth, wait=10):
            h = header_at(t, "cam")
            if info:  # camera_info streams beside the images; a first one must not race the frame it serves
                drv.info_pub.publish(rig.camera_info_msg(intr, h))
                time.sleep(0.5)
            got, _ = drv.send(h, None, depth and depth(h),
                              poses_to_msg(rig.frame_poses(fr.keypoints, intr), h, intr.width, intr.height),
                              timeout=wait, want_people=False)
            return got

        no_info = send(1.0, None, lambda h: rig.depth_msg(fr.depth_mm, h))  # no camera_info yet
        rgb = send(2.0, True, lambda h: rig.depth_msg(fr.depth_mm, h))
        rgb_depth = send(3.0, True, lambda h: _retype(rig.depth_msg(fr.depth_mm, h), "rgb8"))
        truncated = send(4.0, True, lambda h: _truncated(rig.depth_msg(fr.depth_mm, h)))
        cut_short = lambda h: serialize_message(rig.depth_msg(fr.depth_mm, h))[:200]  # noqa: E731
        assert send(4.5, True, cut_short, wait=1) is None  # skipped: its poses wait for the depth stream to pass them
        good = send(5.0, True, lambda h: rig.depth_msg(fr.depth_mm, h))
        damaged, _ = drv.send(header_at(4.5, "cam"), None, None, None, timeout=10, want_people=False)
    for m in (no_info, rgb_depth, truncated, damaged):
        assert m is not None and len(m.poses) == 1 and len(m.poses[0].x3d) == 0
        assert np.allclose(msg_to_poses(m).keypoints, fr.keypoints)  # the 2D poses unchanged
    assert len(msg_to_poses(rgb).keypoints_3d) == 1 and len(msg_to_poses(good).keypoints_3d) == 1
    text = log.read_text()
    assert text.count("no camera_info received yet") == 1
    assert "unsupported depth encoding 'rgb8'" in text and "truncated depth image data" in text
    assert "depth image unusable: damaged image message" in text
    assert "Traceback" not in text


def _retype(msg, encoding):
    msg.encoding = encoding
    return msg


def _truncated(msg):
    msg.data = msg.data[: len(msg.data) // 2]
    return msg


def test_compressed_depth_gives_the_same_3d_keypoints_as_raw_depth(vision_msgs):
    from alphapose_ros.synthetic.rgbd_scenes import camera, person, render
    from alphapose_ros.ros.conversions import header_at, msg_to_poses, poses_to_msg

    rng = np.random.default_rng(5)
    intr = camera()
    fr = render([person(3.0, rng, intr)], intr, rng)
    got = {}
    for compressed in (False, True):
        with rig.node_and_driver(5 + (os.getpid() + compressed) % 40, compressed=compressed) as drv:
            h = header_at(7.0, "cam")
            drv.info_pub.publish(rig.camera_info_msg(intr, h))
            time.sleep(0.5)
            depth = (rig.compressed_depth_msg if compressed else rig.depth_msg)(fr.depth_mm, h)
            m, _ = drv.send(h, None, depth, poses_to_msg(rig.frame_poses(fr.keypoints, intr), h, intr.width,
                                                         intr.height), timeout=10)
        got[compressed] = msg_to_poses(m).keypoints_3d
    assert np.isfinite(got[False]).sum() > 30
    assert np.array_equal(got[False], got[True], equal_nan=True)


def test_the_node_smooths_3d_keypoints_per_track_and_gives_velocities(vision_msgs):
    """A person standing 2.5 m away for 20 frames at 30 Hz, then walking across at 1.4 m/s; 2 px noise on the
    2D keypoints. Standing, the smoothed points (poses_3d) jitter a third or less of the unsmoothed ones
    (poses_3d_unsmoothed); walking, the person's velocity comes out near the truth."""
    from alphapose_ros.ros.conversions import header_at, msg_to_poses, poses_to_msg
    from alphapose_ros.synthetic.rgbd_scenes import camera, person, render

    rng = np.random.default_rng(11)
    intr = camera()
    body = person(2.5, rng, intr)
    body -= [body[11:13, 0].mean() + 0.6, 0.0, 0.0]
    smooth, raw = [], []
    with rig.node_and_driver(10 + os.getpid() % 40) as drv:
        drv.info_pub.publish(rig.camera_info_msg(intr, header_at(5.0, "cam")))
        time.sleep(0.5)
        for f in range(40):
            h = header_at(5.0 + f / 30, "cam")
            fr = render([body + [1.4 * max(f - 20, 0) / 30, 0.0, 0.0]], intr, rng)
            kp = fr.keypoints + rng.normal(0.0, 2.0, fr.keypoints.shape).astype(np.float32)
            got, _ = drv.send(h, rig.camera_info_msg(intr, h), rig.depth_msg(fr.depth_mm, h),
                              poses_to_msg(rig.frame_poses(kp, intr), h, intr.width, intr.height))
            assert got is not None, f"frame {f} lost"
            key = (h.stamp.sec, h.stamp.nanosec)
            deadline = time.monotonic() + 5
            while key not in drv.unsmoothed and time.monotonic() < deadline:
                time.sleep(0.01)
            smooth.append(msg_to_poses(got))
            raw.append(msg_to_poses(drv.unsmoothed[key]))
    jitter = {name: np.nanmedian(np.stack([p.keypoints_3d[0] for p in seq[8:20]]).std(0))
              for name, seq in (("smooth", smooth), ("raw", raw))}
    assert jitter["smooth"] < jitter["raw"] / 3, jitter
    assert smooth[-1].frame_3d == "cam" and raw[-1].velocities_3d is None
    assert np.all(np.abs(smooth[15].velocities[0]) < 0.1), smooth[15].velocities
    vel = np.stack([p.velocities[0] for p in smooth[32:]])
    assert np.all(np.abs(vel - [1.4, 0.0, 0.0]) < 0.3), vel
    assert np.nanmedian(smooth[-1].velocities_3d[0][:, 0]) == pytest.approx(1.4, abs=0.3)


def test_body_frames_go_to_tracked_people_with_a_torso_and_keypoint_frames_only_when_asked(vision_msgs):
    from std_msgs.msg import Header

    from alphapose_ros.core.poses import PoseSet
    from alphapose_ros.ros.nodes.keypoints_3d import body_transforms
    from alphapose_ros.synthetic.rgbd_scenes import camera, person

    rng = np.random.default_rng(0)
    xyz = np.stack([person(2.0, rng, camera()) for _ in range(3)])
    xyz[2, 5] = np.nan  # no left shoulder: no body frame
    xyz[0, 0] = np.nan  # no nose: no nose frame
    p = PoseSet("coco_17", np.zeros((3, 4)), np.ones(3), np.zeros((3, 17, 2)), np.ones((3, 17)), np.ones(3),
                track_ids=np.array([4, -1, 9]), keypoints_3d=xyz, positions=xyz[:, 0])
    h = Header(frame_id="map")
    plain = body_transforms(p, h)
    assert [t.child_frame_id for t in plain.transforms] == ["body_b4"]
    t = plain.transforms[0]
    assert t.header.frame_id == "map"
    torso = xyz[0, [5, 6, 11, 12]].mean(0)
    assert np.allclose([t.transform.translation.x, t.transform.translation.y, t.transform.translation.z], torso)
    with_kp = [t.child_frame_id for t in body_transforms(p, h, keypoints=True).transforms]
    assert with_kp[0] == "body_b4" and "body_b4_left_wrist" in with_kp and "body_b4_nose" not in with_kp
    assert len(with_kp) == 1 + 16


@pytest.mark.fault("robot-frames-unusable")
def test_a_looping_or_broken_tf_tree_and_odd_depth_images_leave_frames_flowing_in_the_camera_frame(vision_msgs,
                                                                                                    tmp_path):
    from geometry_msgs.msg import TransformStamped
    from tf2_msgs.msg import TFMessage

    from alphapose_ros.ros.conversions import header_at, msg_to_poses, poses_to_msg
    from alphapose_ros.synthetic.rgbd_scenes import camera, person, render

    rng = np.random.default_rng(8)
    intr = camera()
    fr = render([person(2.0, rng, intr)], intr, rng)
    log = tmp_path / "node.log"

    def tf(parent, child, w=1.0, x=0.0):
        t = TransformStamped(child_frame_id=child)
        t.header.frame_id = parent
        t.transform.rotation.w, t.transform.translation.x = w, x
        return t

    with rig.node_and_driver(10 + os.getpid() % 40, str(log), params=("target_frame:=map",)) as drv:
        drv.tf_static_pub.publish(TFMessage(transforms=[
            tf("odom", "map"), tf("map", "odom"), tf("odom", "cam"),      # cam -> odom -> map -> odom ...: a loop
            tf("base_link", "cam2", w=0.0),                                # a zero quaternion: ignored
            tf("odom", "cam3", x=float("nan"))]))                          # NaN: ignored
        # camera_info streams beside the images: the node has it before the first frame it serves
        drv.info_pub.publish(rig.camera_info_msg(intr, header_at(6.0, "cam")))
        time.sleep(0.5)
        outs = []
        for i, depth in enumerate((fr.depth_mm, fr.depth_mm[::2, ::2].copy(), np.zeros_like(fr.depth_mm),
                                   fr.depth_mm)):
            h = header_at(7.0 + i, "cam")
            got, _ = drv.send(h, rig.camera_info_msg(intr, h), rig.depth_msg(depth, h),
                              poses_to_msg(rig.frame_poses(fr.keypoints, intr), h, intr.width, intr.height),
                              timeout=10, want_people=False)
            assert got is not None, f"frame {i} lost"
            outs.append(msg_to_poses(got))
    assert all(p.frame_3d == "cam" for p in outs)  # never map: no transform reaches it
    full, half, zeros, again = (p.keypoints_3d[0] for p in outs)
    assert np.isfinite(full[:, 2]).sum() > 10 and np.isfinite(half[:, 2]).sum() > 10  # a smaller depth image works
    assert np.isnan(zeros).all()  # no valid depth: no 3D, but the message went out
    text = log.read_text()
    assert text.count("no transform cam -> map") == 1 and "contains a loop" in text
    assert "logged once; counted in /diagnostics" in text
    assert text.count("ignoring a transform on /tf_static") == 2 and "zero quaternion" in text
    assert "Traceback" not in text
