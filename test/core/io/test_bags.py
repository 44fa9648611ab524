"""rosbag2 helpers without ROS (core/io/bags.py)."""
import numpy as np
import pytest

from alphapose_ros.core.io import bags


@pytest.mark.parametrize("little_endian", [True, False])
def test_the_stamp_is_read_from_a_serialised_image_without_deserialising_it(little_endian):
    ts = bags.typestore()
    t_ns = 1_796_441_070_259_611_522
    img = ts.types["sensor_msgs/msg/Image"](header=bags.header(t_ns, "camera_optical_frame"), height=2, width=3,
                                            encoding="bgr8", is_bigendian=0, step=9,
                                            data=np.arange(18, dtype=np.uint8))
    raw = bytes(ts.serialize_cdr(img, "sensor_msgs/msg/Image", little_endian=little_endian))
    assert bags.cdr_stamp_ns(raw) == t_ns


@pytest.mark.parametrize("raw", [b"", b"\x00\x01\x00\x00\x01", b"\x07\x01" + bytes(20)])
def test_bytes_that_are_no_cdr_message_are_refused_with_a_reason(raw):
    with pytest.raises(ValueError, match="not a CDR message"):
        bags.cdr_stamp_ns(raw)
