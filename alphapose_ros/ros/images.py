"""Image messages to BGR arrays in the nodes: the built-in conversion (core/io/image_msgs.py: a
view of the message buffer for bgr8, checks on size and truncation) for the common encodings,
and cv_bridge, where it is installed, for any other encoding it knows (Bayer, YUV, ...); and which
camera input a node reads (raw `image` or `image/compressed`), and how its camera images are taken
(serialized, read by core/io/image_cdr.py: why there)."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Callable

import numpy as np

from alphapose_ros.core.io.image_cdr import (CdrCompressedImage, CdrImage, UnknownEncapsulation,
                                              parse_compressed_image_cdr, parse_image_cdr)
from alphapose_ros.core.io.image_msgs import ImageError, UnsupportedEncoding, compressed_to_bgr, image_to_bgr

_bridge = None


def cv_bridge():
    """A CvBridge, or None where cv_bridge is not installed."""
    global _bridge
    if _bridge is None:
        try:
            from cv_bridge import CvBridge
        except ImportError:
            _bridge = False
        else:
            _bridge = CvBridge()
    return _bridge or None


def to_bgr(msg) -> np.ndarray:
    """BGR uint8 (H,W,3) from a sensor_msgs/Image, or ImageError saying why not."""
    try:
        return image_to_bgr(msg)
    except UnsupportedEncoding as e:
        bridge = cv_bridge()
        if bridge is None:
            raise ImageError(f"{e}; cv_bridge (not installed here) might convert it") from None
        try:
            img = bridge.imgmsg_to_cv2(msg, desired_encoding="bgr8")
        except Exception as e2:  # cv_bridge raises CvBridgeError, TypeError, cv2.error...
            raise ImageError(f"cv_bridge cannot convert encoding {msg.encoding!r}: {e2}") from None
        if img is None or img.size == 0 or img.ndim != 3:
            raise ImageError(f"cv_bridge gave no usable image for encoding {msg.encoding!r}")
        return img


def declare_compressed(node) -> bool:
    """The `compressed` parameter of every node that reads the camera (the launch's image_transport)."""
    from alphapose_ros.ros.node_utils import declare

    return declare(node, "compressed", False, "read image/compressed (sensor_msgs/CompressedImage, jpeg or png) "
                   "instead of image, as image_transport's compressed transport names it")


def image_input(compressed: bool):
    """(message type, topic, converter to BGR) of the camera input, raw or compressed."""
    from sensor_msgs.msg import CompressedImage, Image

    return (CompressedImage, "image/compressed", compressed_to_bgr) if compressed else (Image, "image", to_bgr)


@dataclass(frozen=True)
class TakenImage(CdrImage):
    """A camera image as the nodes use it: the sensor_msgs/Image fields read from its serialized bytes
    (`data` a view of them, no copy) and its `header` as a std_msgs/Header."""
    header: object = None


@dataclass(frozen=True)
class TakenCompressedImage(CdrCompressedImage):
    """The same for a sensor_msgs/CompressedImage."""
    header: object = None


def _read(raw: bytes, parse: Callable, taken: type, msg_type: type):
    """`taken` from serialized bytes read by `parse`; an encapsulation the package's reader does not know
    goes to rclpy's own deserialization instead (a full `msg_type` message); ImageError when damaged."""
    from builtin_interfaces.msg import Time
    from std_msgs.msg import Header

    try:
        c = parse(raw)
    except UnknownEncapsulation as unknown:
        from rclpy.serialization import deserialize_message

        try:
            return deserialize_message(raw, msg_type)
        except Exception as e:  # the middleware's reader raises its own errors on bytes it cannot read
            raise ImageError(f"{unknown}, which rclpy could not read either ({type(e).__name__}: {e})") from None
    header = Header(stamp=Time(sec=c.sec, nanosec=c.nanosec), frame_id=c.frame_id)
    return taken(**{f.name: getattr(c, f.name) for f in fields(c)}, header=header)


def image_from_cdr(raw: bytes):
    """A TakenImage from a serialized sensor_msgs/Image (see _read)."""
    from sensor_msgs.msg import Image

    return _read(raw, parse_image_cdr, TakenImage, Image)


def compressed_image_from_cdr(raw: bytes):
    """A TakenCompressedImage from a serialized sensor_msgs/CompressedImage (see _read)."""
    from sensor_msgs.msg import CompressedImage

    return _read(raw, parse_compressed_image_cdr, TakenCompressedImage, CompressedImage)


def subscribe_images(node, msg_type, topic: str, callback: Callable, qos, on_bad: Callable[[str], None], **kw):
    """`node.create_subscription` for a camera input: Images and CompressedImages are taken serialized and
    read by the package (a damaged one goes to `on_bad(reason)`, a logged skip), never by the middleware's
    deserialization (which froze whole processes under camera overload: core/io/image_cdr.py)."""
    from sensor_msgs.msg import CompressedImage, Image

    read = {Image: image_from_cdr, CompressedImage: compressed_image_from_cdr}.get(msg_type)
    if read is None:
        return node.create_subscription(msg_type, topic, callback, qos, **kw)

    def taken(raw: bytes) -> None:
        try:
            msg = read(raw)
        except ImageError as e:
            on_bad(str(e))
            return
        callback(msg)

    return node.create_subscription(msg_type, topic, taken, qos, raw=True, **kw)
