"""Node image conversion: built-in for the common encodings, cv_bridge (where installed) for
others; bad frames are refused the same way with or without it."""
import sys
import types

import cv2
import numpy as np
import pytest

from alphapose_ros.core.io.image_msgs import ImageError
from alphapose_ros.ros import images


class _Msg:
    def __init__(self, enc, h=4, w=6, step=None, data=None):
        self.encoding, self.height, self.width = enc, h, w
        self.step = step if step is not None else w
        self.data = data if data is not None else np.arange(h * self.step, dtype=np.uint8).tobytes()
        self.is_bigendian = 0


@pytest.fixture()
def fake_bridge(monkeypatch):
    """A stand-in cv_bridge that knows Bayer RGGB, as the real one does."""
    calls = []

    class CvBridge:
        def imgmsg_to_cv2(self, msg, desired_encoding):
            calls.append((msg.encoding, desired_encoding))
            if msg.encoding != "bayer_rggb8":
                raise TypeError(f"no conversion for {msg.encoding}")
            raw = np.frombuffer(msg.data, np.uint8).reshape(msg.height, msg.step)[:, :msg.width]
            return cv2.cvtColor(raw, cv2.COLOR_BayerRG2BGR)

    mod = types.ModuleType("cv_bridge")
    mod.CvBridge = CvBridge
    monkeypatch.setitem(sys.modules, "cv_bridge", mod)
    monkeypatch.setattr(images, "_bridge", None)
    yield calls
    images._bridge = None


def test_common_encodings_never_go_through_cv_bridge(fake_bridge):
    img = images.to_bgr(_Msg("mono8"))
    assert img.shape == (4, 6, 3) and not fake_bridge


def test_other_encodings_go_through_cv_bridge_where_installed(fake_bridge):
    m = _Msg("bayer_rggb8")
    np.testing.assert_array_equal(images.to_bgr(m), cv2.cvtColor(
        np.frombuffer(m.data, np.uint8).reshape(4, 6), cv2.COLOR_BayerRG2BGR))
    assert fake_bridge == [("bayer_rggb8", "bgr8")]
    with pytest.raises(ImageError, match="cv_bridge cannot convert encoding 'yuv422_yuy2'"):
        images.to_bgr(_Msg("yuv422_yuy2"))


@pytest.mark.fault("bad-frames")
def test_bad_frames_are_refused_before_cv_bridge_sees_them(fake_bridge):
    with pytest.raises(ImageError, match="truncated"):
        images.to_bgr(_Msg("bgr8", step=18, data=b"\0" * 10))
    assert not fake_bridge


@pytest.mark.fault("bad-frames")
def test_without_cv_bridge_an_unknown_encoding_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "cv_bridge", None)  # import fails
    monkeypatch.setattr(images, "_bridge", None)
    with pytest.raises(ImageError, match="unsupported image encoding 'bayer_rggb8'.*cv_bridge"):
        images.to_bgr(_Msg("bayer_rggb8"))
    images._bridge = None


def test_a_serialized_camera_image_reads_as_the_message_it_was():
    from builtin_interfaces.msg import Time
    from rclpy.serialization import serialize_message
    from sensor_msgs.msg import Image
    from std_msgs.msg import Header

    from alphapose_ros.core.io.image_msgs import bgr_to_image

    bgr = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    header = Header(stamp=Time(sec=1733390000, nanosec=5), frame_id="camera_optical_frame")
    taken = images.image_from_cdr(serialize_message(bgr_to_image(bgr, header, Image)))
    assert taken.header == header
    np.testing.assert_array_equal(images.to_bgr(taken), bgr)


def test_an_image_in_an_encapsulation_nobody_reads_is_one_image_error():
    with pytest.raises(ImageError, match="encapsulation 0x0009, which rclpy could not read either"):
        images.image_from_cdr(b"\x00\x09\x00\x00" + b"\x01" * 40)


def test_a_serialized_compressed_image_reads_as_the_message_it_was():
    from builtin_interfaces.msg import Time
    from rclpy.serialization import serialize_message
    from sensor_msgs.msg import CompressedImage
    from std_msgs.msg import Header

    bgr = np.full((16, 24, 3), (10, 120, 240), np.uint8)
    header = Header(stamp=Time(sec=3, nanosec=4), frame_id="camera_optical_frame")
    msg = CompressedImage(header=header, format="png", data=cv2.imencode(".png", bgr)[1].tobytes())
    taken = images.compressed_image_from_cdr(serialize_message(msg))
    assert taken.header == header and taken.format == "png"
    np.testing.assert_array_equal(images.compressed_to_bgr(taken), bgr)
