"""Serialized sensor_msgs/Image and CompressedImage read without the middleware: the same fields as a real serializer wrote
(rosbags' CDR, both byte orders), pixels a view of the bytes, and a damaged message one ImageError."""
import numpy as np
import pytest
from rosbags.typesys import Stores, get_typestore

from alphapose_ros.core.io.image_cdr import UnknownEncapsulation, parse_compressed_image_cdr, parse_image_cdr
from alphapose_ros.core.io.image_msgs import ImageError, image_to_bgr

TS = get_typestore(Stores.ROS2_HUMBLE)


def _serialized(h=5, w=7, encoding="bgr8", frame_id="camera_optical_frame", sec=1733390000, nanosec=987654321,
                pad=0, little_endian=True) -> tuple[bytes, np.ndarray]:
    ch = 3 if encoding == "bgr8" else 1
    step = w * ch + pad
    data = np.random.default_rng(h * w + pad).integers(0, 256, h * step, dtype=np.uint8)
    Time, Header, Image = (TS.types[t] for t in ("builtin_interfaces/msg/Time", "std_msgs/msg/Header",
                                                  "sensor_msgs/msg/Image"))
    msg = Image(header=Header(stamp=Time(sec=sec, nanosec=nanosec), frame_id=frame_id), height=h, width=w,
                encoding=encoding, is_bigendian=0, step=step, data=data)
    return bytes(TS.serialize_cdr(msg, "sensor_msgs/msg/Image", little_endian=little_endian)), data


@pytest.mark.parametrize("little_endian", [True, False])
@pytest.mark.parametrize("frame_id, encoding, pad", [("camera_optical_frame", "bgr8", 0), ("", "mono8", 3),
                                                     ("kamera_é", "bgr8", 1)])
def test_every_field_reads_as_the_serializer_wrote_it(little_endian, frame_id, encoding, pad):
    raw, data = _serialized(frame_id=frame_id, encoding=encoding, pad=pad, little_endian=little_endian)
    m = parse_image_cdr(raw)
    ch = 3 if encoding == "bgr8" else 1
    assert (m.sec, m.nanosec, m.frame_id, m.height, m.width, m.encoding, m.is_bigendian, m.step) == \
        (1733390000, 987654321, frame_id, 5, 7, encoding, 0, 7 * ch + pad)
    np.testing.assert_array_equal(np.frombuffer(m.data, np.uint8), data)


def test_a_negative_stamp_reads_signed():
    assert parse_image_cdr(_serialized(sec=-3)[0]).sec == -3


def test_the_pixels_are_a_view_of_the_serialized_bytes_not_a_copy():
    raw = bytearray(_serialized()[0])
    img = image_to_bgr(parse_image_cdr(raw))
    raw[-1] ^= 0xFF  # the last pixel's last byte, changed in the serialized buffer
    assert img[-1, -1, -1] == raw[-1]


@pytest.mark.parametrize("cut", [2, 10, 40, 60])
def test_a_message_cut_short_anywhere_is_one_image_error(cut):
    raw = _serialized()[0]
    with pytest.raises(ImageError, match="damaged image message"):
        parse_image_cdr(raw[:cut])


def test_a_data_length_beyond_the_message_is_refused_not_read():
    raw = bytearray(_serialized()[0])
    n = 5 * 7 * 3
    at = len(raw) - n - 4  # the data sequence's length field
    assert int.from_bytes(raw[at:at + 4], "little") == n
    raw[at:at + 4] = (2 ** 31).to_bytes(4, "little")
    with pytest.raises(ImageError, match="data claims 2147483648 bytes"):
        parse_image_cdr(raw)


def test_a_garbled_string_length_is_refused():
    raw = bytearray(_serialized()[0])
    raw[12:16] = (10 ** 6).to_bytes(4, "little")  # frame_id's length (after encapsulation and stamp)
    with pytest.raises(ImageError, match="frame_id is 1000000 bytes long"):
        parse_image_cdr(raw)


def test_an_unknown_encapsulation_is_said_as_such():
    raw = b"\x00\x09\x00\x00" + _serialized()[0][4:]
    with pytest.raises(UnknownEncapsulation, match="0x0009"):
        parse_image_cdr(raw)


def _compressed(fmt: str, little_endian: bool) -> tuple[bytes, bytes]:
    import cv2

    ok, jpeg = cv2.imencode(".jpg", np.full((8, 8, 3), 200, np.uint8))
    Time, Header, CompressedImage = (TS.types[t] for t in ("builtin_interfaces/msg/Time", "std_msgs/msg/Header",
                                                            "sensor_msgs/msg/CompressedImage"))
    msg = CompressedImage(header=Header(stamp=Time(sec=7, nanosec=8), frame_id="cam"), format=fmt,
                          data=np.frombuffer(jpeg.tobytes(), np.uint8))
    return bytes(TS.serialize_cdr(msg, "sensor_msgs/msg/CompressedImage", little_endian=little_endian)), jpeg.tobytes()


@pytest.mark.parametrize("little_endian", [True, False])
@pytest.mark.parametrize("fmt", ["jpeg", "bgr8; jpeg compressed bgr8", ""])
def test_a_compressed_image_reads_as_the_serializer_wrote_it(fmt, little_endian):
    raw, jpeg = _compressed(fmt, little_endian)
    m = parse_compressed_image_cdr(raw)
    assert (m.sec, m.nanosec, m.frame_id, m.format) == (7, 8, "cam", fmt) and bytes(m.data) == jpeg


def test_a_compressed_image_cut_short_is_one_image_error():
    raw, _ = _compressed("jpeg", True)
    with pytest.raises(ImageError, match="damaged image message: its data claims"):
        parse_compressed_image_cdr(raw[:-1])
