"""PoseSet <-> WholeBodyPoseArray, and KeypointLayout from a keypoint format.

Keypoint arrays go into the messages as flat float32 array.array buffers (one memcpy
each), never element by element, so a 20-person Halpe-136 message fills in well
under a millisecond.
"""
from __future__ import annotations

from array import array

import numpy as np

from alphapose_ros.core.poses import PoseSet, head_id, head_name
from alphapose_ros.core.skeletons import KeypointFormat, format_by_id, get_format
from alphapose_ros.msg import KeypointLayout, WholeBodyPose, WholeBodyPoseArray


def header_at(seconds: float, frame_id: str):
    """A std_msgs Header stamped `seconds` (float) in `frame_id`: what drivers and tests publish."""
    from builtin_interfaces.msg import Time
    from std_msgs.msg import Header

    sec = int(seconds)
    return Header(stamp=Time(sec=sec, nanosec=int(round((seconds - sec) * 1e9))), frame_id=frame_id)


_NAN3 = np.full(3, np.nan, np.float32)


def body_id(track_id: int) -> str:
    """ROS4HRI (REP-155) body ID of a track: "b" + its ID (IDs are topic-name tokens, which cannot start with a
    digit); its TF frame is "body_" + this."""
    return f"b{int(track_id)}"


def transform_msg(stamp, parent: str, child: str, xyz, q):
    """geometry_msgs/TransformStamped placing `child` in `parent` at `stamp`: translation xyz, rotation q (x, y, z,
    w)."""
    from geometry_msgs.msg import TransformStamped

    ts = TransformStamped(child_frame_id=child)
    ts.header.stamp, ts.header.frame_id = stamp, parent
    t, r = ts.transform.translation, ts.transform.rotation
    t.x, t.y, t.z = (float(v) for v in xyz)
    r.x, r.y, r.z, r.w = (float(v) for v in q)
    return ts


def stamp_seconds(header) -> float:
    """A header's stamp in seconds (image time)."""
    return header.stamp.sec + header.stamp.nanosec * 1e-9


def _f32(a: np.ndarray) -> array:
    return array("f", np.ascontiguousarray(a, dtype=np.float32).tobytes())


def poses_to_msg(poses: PoseSet, header, image_width: int, image_height: int) -> WholeBodyPoseArray:
    """Build a WholeBodyPoseArray; `header` is the source image's header, copied unchanged."""
    fmt = get_format(poses.format_name)
    out = WholeBodyPoseArray()
    out.header = header
    out.keypoint_format = fmt.id
    out.num_keypoints = fmt.num_keypoints
    out.head = head_id(poses.head)
    out.image_width = int(image_width)
    out.image_height = int(image_height)
    if poses.keypoints_3d is not None:
        out.frame_id_3d = poses.frame_3d or header.frame_id
    xs = np.ascontiguousarray(poses.keypoints[..., 0], np.float32)
    ys = np.ascontiguousarray(poses.keypoints[..., 1], np.float32)
    ks = np.ascontiguousarray(poses.keypoint_scores, np.float32)
    boxes = np.ascontiguousarray(poses.boxes, np.float32)
    items = []
    for i in range(len(poses)):
        p = WholeBodyPose()
        p.track_id = int(poses.track_ids[i])
        p.track_state = int(poses.track_states[i])
        p.track_age = float(poses.track_ages[i])
        p.box = boxes[i]
        p.box_score = float(poses.box_scores[i])
        p.score = float(poses.scores[i])
        p.x = _f32(xs[i])
        p.y = _f32(ys[i])
        p.keypoint_scores = _f32(ks[i])
        if poses.embeddings is not None:
            p.embedding = _f32(poses.embeddings[i])
        if poses.keypoints_3d is not None:
            p.x3d, p.y3d, p.z3d = (_f32(poses.keypoints_3d[i, :, c]) for c in range(3))
            p.position = poses.positions[i]
        else:
            p.position = _NAN3
        if poses.velocities_3d is not None:
            p.vx3d, p.vy3d, p.vz3d = (_f32(poses.velocities_3d[i, :, c]) for c in range(3))
            p.velocity = poses.velocities[i]
        else:
            p.velocity = _NAN3
        items.append(p)
    out.poses = items
    return out


def msg_to_poses(msg: WholeBodyPoseArray) -> PoseSet:
    """Unpack a WholeBodyPoseArray into arrays (the inverse of poses_to_msg)."""
    fmt = format_by_id(msg.keypoint_format)
    k = fmt.num_keypoints
    n = len(msg.poses)
    head = head_name(msg.head)
    if n == 0:
        return PoseSet.empty(fmt.name, k, head)
    for p in msg.poses:
        if len(p.x) != k or len(p.y) != k or len(p.keypoint_scores) != k:
            raise ValueError(f"a pose with {len(p.x)} x, {len(p.y)} y and {len(p.keypoint_scores)} score values in a "
                             f"{fmt.name} message ({k} keypoints each expected)")
    xy = np.empty((n, k, 2), np.float32)
    xy[..., 0] = np.frombuffer(b"".join(p.x.tobytes() for p in msg.poses), np.float32).reshape(n, k)
    xy[..., 1] = np.frombuffer(b"".join(p.y.tobytes() for p in msg.poses), np.float32).reshape(n, k)
    scores = np.frombuffer(b"".join(p.keypoint_scores.tobytes() for p in msg.poses), np.float32).reshape(n, k)
    emb = None
    if all(len(p.embedding) for p in msg.poses):
        emb = np.stack([np.frombuffer(p.embedding.tobytes(), np.float32) for p in msg.poses])
    xyz = _per_keypoint_xyz(msg.poses, ("x3d", "y3d", "z3d"), k, fmt.name)
    pos = None if xyz is None else np.stack([np.asarray(p.position, np.float32) for p in msg.poses])
    vel3 = None if xyz is None else _per_keypoint_xyz(msg.poses, ("vx3d", "vy3d", "vz3d"), k, fmt.name)
    vel = None if vel3 is None else np.stack([np.asarray(p.velocity, np.float32) for p in msg.poses])
    return PoseSet(
        fmt.name,
        boxes=np.stack([np.asarray(p.box, np.float32) for p in msg.poses]),
        box_scores=np.array([p.box_score for p in msg.poses]),
        keypoints=xy,
        keypoint_scores=scores.copy(),
        scores=np.array([p.score for p in msg.poses]),
        track_ids=np.array([p.track_id for p in msg.poses]),
        track_states=np.array([p.track_state for p in msg.poses]),
        track_ages=np.array([p.track_age for p in msg.poses]),
        embeddings=emb,
        head=head,
        keypoints_3d=xyz,
        positions=pos,
        frame_3d=msg.frame_id_3d if xyz is not None else "",
        velocities_3d=vel3,
        velocities=vel,
    )


def _per_keypoint_xyz(poses, fields: tuple[str, str, str], k: int, fmt_name: str) -> np.ndarray | None:
    """(N,K,3) from three parallel per-keypoint arrays of every pose; None when any pose leaves them empty."""
    if not all(len(getattr(p, fields[0])) for p in poses):
        return None
    if any(len(getattr(p, f)) != k for p in poses for f in fields):
        raise ValueError(f"pose with {'/'.join(fields)} arrays not of {k} keypoints in a {fmt_name} message")
    return np.stack([np.stack([np.frombuffer(getattr(p, f).tobytes(), np.float32) for f in fields], 1)
                     for p in poses])


def layout_msg(fmt: KeypointFormat, header=None) -> KeypointLayout:
    """The latched description of a keypoint format (names, links, flips, parts, sigmas)."""
    m = KeypointLayout()
    if header is not None:
        m.header = header
    m.keypoint_format = fmt.id
    m.name = fmt.name
    m.keypoint_names = list(fmt.names)
    links = fmt.real_links()
    m.link_from = array("H", [a for a, _ in links])
    m.link_to = array("H", [b for _, b in links])
    m.flip_first = array("H", [a for a, _ in fmt.flip_pairs])
    m.flip_second = array("H", [b for _, b in fmt.flip_pairs])
    m.part_names = [p for p, _, _ in fmt.parts]
    m.part_start = array("H", [s for _, s, _ in fmt.parts])
    m.part_end = array("H", [e for _, _, e in fmt.parts])
    if fmt.oks_sigmas is not None:
        m.oks_sigmas = _f32(fmt.oks_sigmas)
    return m
