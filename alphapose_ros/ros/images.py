"""Image messages to BGR arrays in the nodes: the built-in conversion (core/io/image_msgs.py: a
view of the message buffer for bgr8, checks on size and truncation) for the common encodings,
and cv_bridge, where it is installed, for any other encoding it knows (Bayer, YUV, ...); and which
camera input a node reads (raw `image` or `image/compressed`)."""
from __future__ import annotations

import numpy as np

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
