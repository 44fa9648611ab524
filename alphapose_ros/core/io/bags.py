"""rosbag2 files (sqlite3 or MCAP) without ROS, through the `rosbags` library.

Reads camera images (Image or CompressedImage) with their headers, writes
WholeBodyPoseArray / KeypointLayout messages, and turns a video into a camera bag.
The package's own message definitions are registered from msg/ (source tree or the
installed share directory).
"""
from __future__ import annotations

import struct
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from alphapose_ros.core.io.image_msgs import (ImageError, compressed_depth_to_array, compressed_to_bgr,
                                               depth_image_to_array, image_to_bgr)
from alphapose_ros.core.poses import PoseSet, head_id
from alphapose_ros.core.skeletons import KeypointFormat, get_format

POSE_TYPE = "alphapose_ros/msg/WholeBodyPoseArray"
LAYOUT_TYPE = "alphapose_ros/msg/KeypointLayout"


def _msg_dir() -> Path:
    src = Path(__file__).resolve().parents[3] / "msg"
    if src.is_dir():
        return src
    from ament_index_python.packages import get_package_share_directory

    return Path(get_package_share_directory("alphapose_ros")) / "msg"


@lru_cache(maxsize=1)
def typestore():
    """ROS 2 Kilted types plus this package's messages."""
    from rosbags.typesys import Stores, get_types_from_msg, get_typestore

    ts = get_typestore(Stores.ROS2_KILTED)
    types = {}
    for name in ("WholeBodyPose", "WholeBodyPoseArray", "KeypointLayout"):
        types.update(get_types_from_msg((_msg_dir() / f"{name}.msg").read_text(), f"alphapose_ros/msg/{name}"))
    ts.register(types)
    return ts


def stamp_ns(header) -> int:
    return int(header.stamp.sec) * 1_000_000_000 + int(header.stamp.nanosec)


def cdr_stamp_ns(raw: bytes) -> int:
    """The header stamp of a serialised (CDR) message that starts with a std_msgs/Header, without
    deserialising the rest (a recorder writing large images as they come)."""
    if len(raw) < 12 or raw[0] != 0 or raw[1] not in (0, 1):
        raise ValueError("not a CDR message with a header (too short, or an unknown encapsulation)")
    sec, nanosec = struct.unpack("<iI" if raw[1] else ">iI", raw[4:12])
    return sec * 1_000_000_000 + nanosec


def _header(ts, t_ns: int, frame_id: str):
    t = ts.types
    return t["std_msgs/msg/Header"](stamp=t["builtin_interfaces/msg/Time"](sec=t_ns // 1_000_000_000,
                                                                           nanosec=t_ns % 1_000_000_000),
                                    frame_id=frame_id)


def video_to_bag(video: str | Path, out: str | Path, topic: str = "/camera/image_raw",
                 frame_id: str = "camera_optical_frame", fps: float | None = None, max_frames: int = 0,
                 start_ns: int = 1_700_000_000_000_000_000, compressed: str = "",
                 size: tuple[int, int] | None = None) -> int:
    """Write a video's frames (resized to `size` = w, h if given) into a new bag as bgr8 Images on `topic`,
    or, with compressed = "png" or "jpeg", as CompressedImages on `topic`/compressed (image_transport's
    name); returns the frame count."""
    from rosbags.rosbag2 import Writer

    ts = typestore()
    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        raise OSError(f"cannot open video {video}")
    rate = fps or cap.get(cv2.CAP_PROP_FPS) or 30.0
    n = 0
    if compressed not in ("", "png", "jpeg"):
        raise ValueError(f"compressed must be png or jpeg, not {compressed!r}")
    msgtype = "sensor_msgs/msg/CompressedImage" if compressed else "sensor_msgs/msg/Image"
    Msg = ts.types[msgtype]
    with Writer(out, version=9) as w:
        conn = w.add_connection(f"{topic}/compressed" if compressed else topic, msgtype, typestore=ts)
        while not max_frames or n < max_frames:
            ok, frame = cap.read()
            if not ok:
                break
            if size:
                frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
            t = start_ns + int(round(n * 1e9 / rate))
            if compressed:
                ok, buf = cv2.imencode(".png" if compressed == "png" else ".jpg", frame)
                msg = Msg(header=_header(ts, t, frame_id), format=f"bgr8; {compressed} compressed bgr8",
                          data=buf.reshape(-1))
            else:
                msg = Msg(header=_header(ts, t, frame_id), height=frame.shape[0], width=frame.shape[1],
                          encoding="bgr8", is_bigendian=0, step=frame.shape[1] * 3,
                          data=np.ascontiguousarray(frame).reshape(-1))
            w.write(conn, t, ts.serialize_cdr(msg, msgtype))
            n += 1
    cap.release()
    return n


def image_topics(bag: str | Path) -> list[str]:
    from rosbags.rosbag2 import Reader

    with Reader(bag) as r:
        return [c.topic for c in r.connections
                if c.msgtype in ("sensor_msgs/msg/Image", "sensor_msgs/msg/CompressedImage")]


def only_image_topic(topics: list[str]) -> str:
    """The bag's one image topic; ValueError saying what to pass when it has none or several."""
    if not topics:
        raise ValueError("the bag has no image topic")
    if len(topics) > 1:
        raise ValueError(f"pass --image-topic: the bag has image topics {topics}")
    return topics[0]


def count_messages(bag: str | Path, topic: str) -> int:
    from rosbags.rosbag2 import Reader

    with Reader(bag) as r:
        return sum(c.msgcount for c in r.connections if c.topic == topic)


def copy_messages(bag: str | Path, writer, skip_topics: tuple[str, ...] = ()) -> int:
    """Every message of `bag` (but `skip_topics`) into an open rosbags Writer, raw, with each
    topic's type definition and QoS; returns the count."""
    from rosbags.rosbag2 import Reader

    n = 0
    with Reader(bag) as r:
        conns = [c for c in r.connections if c.topic not in skip_topics]
        out = {}
        for c in conns:
            known = bool(c.msgdef and c.msgdef.data and c.digest)
            out[c.id] = writer.add_connection(
                c.topic, c.msgtype, typestore=None if known else typestore(),
                msgdef=c.msgdef.data if known else None, rihs01=c.digest if known else None,
                serialization_format=c.ext.serialization_format, offered_qos_profiles=c.ext.offered_qos_profiles)
        for conn, t, raw in r.messages(connections=conns):
            writer.write(out[conn.id], t, raw)
            n += 1
    return n


def read_images(bag: str | Path, topic: str) -> Iterator[tuple[object, np.ndarray | None, str]]:
    """(header, BGR image or None, reason) per message of `topic`, in bag order.
    Undecodable frames come with image None and the reason, so callers can skip them; a message that
    cannot be deserialised at all comes as (None, None, reason)."""
    for _, header, img, reason in read_image_messages(bag, topic):
        yield header, img, reason


def read_image_messages(bag: str | Path, topic: str, start_ns: int | None = None, stop_ns: int | None = None
                        ) -> Iterator[tuple[int, object, np.ndarray | None, str]]:
    """(recorded time ns, header, BGR image or None, reason) per message of `topic` recorded in
    [start_ns, stop_ns) (None: from the start / to the end), in bag order; as `read_images`."""
    from rosbags.rosbag2 import Reader

    ts = typestore()
    with Reader(bag) as r:
        conns = [c for c in r.connections if c.topic == topic]
        if not conns:
            raise ValueError(f"{bag}: no topic {topic!r}; image topics: {image_topics(bag)}")
        for conn, t, raw in r.messages(connections=conns, start=start_ns, stop=stop_ns):
            try:
                msg = ts.deserialize_cdr(raw, conn.msgtype)
            except Exception as e:  # a corrupt message (rosbags' SerdeError and kin): reported, not fatal
                yield t, None, None, f"corrupt {conn.msgtype} message ({type(e).__name__})"
                continue
            try:
                img = compressed_to_bgr(msg) if conn.msgtype.endswith("CompressedImage") else image_to_bgr(msg)
                yield t, msg.header, img, ""
            except ImageError as e:
                yield t, msg.header, None, str(e)


def header(t_ns: int, frame_id: str):
    """A rosbags std_msgs/Header with this stamp and frame."""
    return _header(typestore(), t_ns, frame_id)


def pose_array(poses: PoseSet, header, width: int, height: int):
    """A rosbags WholeBodyPoseArray for `poses` with the source image's header."""
    ts = typestore()
    fmt = get_format(poses.format_name)
    P = ts.types["alphapose_ros/msg/WholeBodyPose"]
    items = [P(track_id=int(poses.track_ids[i]), track_state=int(poses.track_states[i]),
               track_age=float(poses.track_ages[i]), box=poses.boxes[i].astype(np.float32),
               box_score=float(poses.box_scores[i]), score=float(poses.scores[i]),
               x=poses.keypoints[i, :, 0].astype(np.float32), y=poses.keypoints[i, :, 1].astype(np.float32),
               keypoint_scores=poses.keypoint_scores[i].astype(np.float32),
               embedding=(np.zeros(0, np.float32) if poses.embeddings is None
                          else poses.embeddings[i].astype(np.float32)),
               **_fields_3d(poses, i))
             for i in range(len(poses))]
    frame_3d = "" if poses.keypoints_3d is None else (poses.frame_3d or header.frame_id)
    return ts.types[POSE_TYPE](header=header, keypoint_format=fmt.id, num_keypoints=fmt.num_keypoints,
                               head=head_id(poses.head), frame_id_3d=frame_3d,
                               image_width=int(width), image_height=int(height), poses=items)


def _fields_3d(poses: PoseSet, i: int) -> dict:
    """x3d/y3d/z3d, position and the velocities of pose i (empty and NaN where absent), as WholeBodyPose.msg
    defines them."""
    empty, nan3 = np.zeros(0, np.float32), np.full(3, np.nan, np.float32)
    out = {"x3d": empty, "y3d": empty, "z3d": empty, "position": nan3,
           "vx3d": empty, "vy3d": empty, "vz3d": empty, "velocity": nan3}
    for fields, whole, per_keypoint, per_person in ((("x3d", "y3d", "z3d"), "position", poses.keypoints_3d,
                                                     poses.positions),
                                                    (("vx3d", "vy3d", "vz3d"), "velocity", poses.velocities_3d,
                                                     poses.velocities)):
        if per_keypoint is not None:
            xyz = per_keypoint[i].astype(np.float32)
            out.update({f: xyz[:, c].copy() for c, f in enumerate(fields)})
            out[whole] = per_person[i].astype(np.float32)
    return out


def camera_info(bag: str | Path, topic: str):
    """Intrinsics from the first usable sensor_msgs/CameraInfo on `topic` (they are static); ValueError if none."""
    from rosbags.rosbag2 import Reader

    from alphapose_ros.core.people3d.keypoints_3d import DepthError, Intrinsics

    ts = typestore()
    last = f"{bag}: no camera_info messages on {topic!r}"
    with Reader(bag) as r:
        conns = [c for c in r.connections if c.topic == topic]
        if not conns:
            raise ValueError(f"{bag}: no topic {topic!r}")
        for conn, _, raw in r.messages(connections=conns):
            try:
                m = ts.deserialize_cdr(raw, conn.msgtype)
                return Intrinsics.from_camera_info(m.k, m.d, m.width, m.height, m.distortion_model)
            except DepthError as e:
                last = f"{bag}: camera_info on {topic!r} unusable: {e}"
            except Exception as e:  # a corrupt message: try the next one
                last = f"{bag}: corrupt camera_info on {topic!r} ({type(e).__name__})"
    raise ValueError(last)


class DepthStream:
    """The depth images of `topic` in bag order, looked up by stamp: `nearest(t_ns)` gives the depth image
    (metres, float32) nearest to t within `slop` seconds, or (None, reason). Lookups must come in stamp
    order (the images' order in a bag); only a few depth frames are held at a time."""

    def __init__(self, bag: str | Path, topic: str, slop: float = 0.02, window: int = 8):
        from rosbags.rosbag2 import Reader

        self._reader = Reader(bag)
        self._reader.open()
        conns = [c for c in self._reader.connections if c.topic == topic]
        if not conns:
            self._reader.close()
            raise ValueError(f"{bag}: no depth topic {topic!r}; image topics: {image_topics(bag)}")
        self._ts = typestore()
        self._it = self._reader.messages(connections=conns)
        self.slop_ns = int(round(slop * 1e9))
        self._held: list = []  # (stamp ns, msg or None, reason)
        self.window = window
        self._done = False

    def _next(self) -> bool:
        if self._done:
            return False
        try:
            conn, _, raw = next(self._it)
        except StopIteration:
            self._done = True
            return False
        try:
            msg = self._ts.deserialize_cdr(raw, conn.msgtype)
            self._held.append((stamp_ns(msg.header), msg, ""))
        except Exception as e:
            self._held.append((-1, None, f"corrupt depth message ({type(e).__name__})"))
        self._held = self._held[-self.window:]
        return True

    def nearest(self, t_ns: int):
        """(depth image in metres, "") or (None, why not)."""
        from alphapose_ros.core.people3d.keypoints_3d import DepthError, depth_in_metres

        while not self._held or max(s for s, _, _ in self._held) <= t_ns + self.slop_ns:
            if not self._next():
                break
        near = [(abs(s - t_ns), m) for s, m, _ in self._held if m is not None and abs(s - t_ns) <= self.slop_ns]
        if not near:
            return None, f"no depth image within {self.slop_ns / 1e9:g} s of its stamp"
        msg = min(near, key=lambda x: x[0])[1]
        try:
            if hasattr(msg, "format"):  # a CompressedImage: image_transport's compressedDepth
                return depth_in_metres(*compressed_depth_to_array(msg)), ""
            return depth_in_metres(depth_image_to_array(msg), msg.encoding), ""
        except (ImageError, DepthError) as e:
            return None, f"depth image unusable: {e}"

    def close(self) -> None:
        self._reader.close()


def layout_message(fmt: KeypointFormat, header):
    ts = typestore()
    links = fmt.real_links()
    return ts.types[LAYOUT_TYPE](
        header=header, keypoint_format=fmt.id, name=fmt.name, keypoint_names=list(fmt.names),
        link_from=np.array([a for a, _ in links], np.uint16), link_to=np.array([b for _, b in links], np.uint16),
        flip_first=np.array([a for a, _ in fmt.flip_pairs], np.uint16),
        flip_second=np.array([b for _, b in fmt.flip_pairs], np.uint16),
        part_names=[p for p, _, _ in fmt.parts], part_start=np.array([s for _, s, _ in fmt.parts], np.uint16),
        part_end=np.array([e for _, _, e in fmt.parts], np.uint16),
        oks_sigmas=np.zeros(0, np.float32) if fmt.oks_sigmas is None else fmt.oks_sigmas.astype(np.float32))
