"""sensor_msgs Image / CompressedImage <-> NumPy, without cv_bridge or rclpy.

Works on any object with the message's fields (rclpy messages, rosbags messages).

Raw images become NumPy views of the message buffer where the layout allows (no
copy). Anything the pipeline cannot use - an unknown encoding, a zero-size image,
a buffer shorter than height x step, undecodable compressed data - raises ImageError
with a one-line reason, so a node logs it and skips the frame.
"""
from __future__ import annotations

import cv2
import numpy as np

# encoding -> (channels, dtype, conversion to BGR or None)
_ENCODINGS = {
    "bgr8": (3, np.uint8, None),
    "rgb8": (3, np.uint8, cv2.COLOR_RGB2BGR),
    "bgra8": (4, np.uint8, cv2.COLOR_BGRA2BGR),
    "rgba8": (4, np.uint8, cv2.COLOR_RGBA2BGR),
    "mono8": (1, np.uint8, cv2.COLOR_GRAY2BGR),
    "8UC3": (3, np.uint8, None),
    "8UC1": (1, np.uint8, cv2.COLOR_GRAY2BGR),
}
MAX_PIXELS = 8192 * 8192


class ImageError(ValueError):
    """An image message the pipeline cannot use."""


class UnsupportedEncoding(ImageError):
    """An encoding the built-in conversion does not know (cv_bridge may)."""


MAX_ROW_PADDING = 64  # bytes of alignment padding a row may carry


def _pixel_rows(msg, bytes_per_pixel: int, what: str) -> np.ndarray:
    """(H, W x bytes_per_pixel) uint8 view of an Image message's pixel rows (row padding cut off), after
    checking its size against MAX_PIXELS and its buffer against height x step."""
    h, w, step = int(msg.height), int(msg.width), int(msg.step)
    if h == 0 or w == 0:
        raise ImageError(f"empty {what} ({w}x{h})")
    if h * w > MAX_PIXELS:
        raise ImageError(f"{what} too large ({w}x{h})")
    row = w * bytes_per_pixel
    if step < row:
        raise ImageError(f"step {step} shorter than a row of {row} bytes ({w} px {msg.encoding})")
    if step - row >= MAX_ROW_PADDING:  # rows are padded for alignment only: this much is another pixel format
        raise ImageError(f"step {step} is {step / row:.3g}x a row of {row} bytes ({w} px {msg.encoding}): the "
                         f"data is not {msg.encoding} (a wrong encoding label?)")
    buf = msg.data
    if isinstance(buf, np.ndarray):
        buf = buf.reshape(-1).view(np.uint8)
    if len(buf) < h * step:
        raise ImageError(f"truncated {what} data: {len(buf)} bytes, expected {h * step}")
    return np.frombuffer(buf, dtype=np.uint8, count=h * step).reshape(h, step)[:, :row]


def image_to_bgr(msg) -> np.ndarray:
    """BGR uint8 (H,W,3) from a sensor_msgs/Image."""
    enc = msg.encoding
    if enc not in _ENCODINGS:
        raise UnsupportedEncoding(f"unsupported image encoding {enc!r} (supported: {', '.join(_ENCODINGS)})")
    ch, dtype, conv = _ENCODINGS[enc]
    if getattr(msg, "is_bigendian", 0) and np.dtype(dtype).itemsize > 1:
        raise ImageError("big-endian multi-byte images are not supported")
    rows = _pixel_rows(msg, ch * np.dtype(dtype).itemsize, "image")  # a view of the message buffer
    h, w = rows.shape[0], int(msg.width)
    img = rows.reshape(h, w, ch) if ch > 1 else rows
    if conv is None:
        return img
    return cv2.cvtColor(np.ascontiguousarray(img), conv)


_DEPTH_DTYPES = {"16UC1": np.uint16, "mono16": np.uint16, "32FC1": np.float32}


def depth_image_to_array(msg) -> np.ndarray:
    """(H,W) uint16 (16UC1/mono16, millimetres) or float32 (32FC1, metres) from a sensor_msgs/Image,
    either byte order; ImageError for other encodings or a malformed buffer."""
    enc = msg.encoding
    if enc not in _DEPTH_DTYPES:
        raise UnsupportedEncoding(f"unsupported depth encoding {enc!r} (supported: {', '.join(_DEPTH_DTYPES)})")
    dtype = np.dtype(_DEPTH_DTYPES[enc]).newbyteorder(">" if getattr(msg, "is_bigendian", 0) else "<")
    rows = _pixel_rows(msg, dtype.itemsize, "depth image")
    return np.ascontiguousarray(rows).view(dtype).reshape(rows.shape[0], -1).astype(dtype.newbyteorder("="),
                                                                                     copy=False)


def compressed_depth_to_array(msg) -> tuple[np.ndarray, str]:
    """A sensor_msgs/CompressedImage of image_transport's compressedDepth transport (PNG) -> ((H,W) uint16
    millimetres or float32 metres, the encoding "16UC1" / "32FC1"). Its data is a 12-byte header (int32
    format, float32 quantisation parameters A, B) and a 16-bit PNG: the depth itself for 16UC1, for 32FC1
    a quantised inverse depth v, depth = A / (v - B), v = 0 meaning no depth. ImageError otherwise."""
    fmt = str(msg.format)
    encoding, _, transport = fmt.partition(";")
    encoding, transport = encoding.strip(), transport.strip()
    if transport and transport not in ("compressedDepth", "compressedDepth png"):
        raise UnsupportedEncoding(f"compressed depth format {fmt!r}: only compressedDepth png is supported")
    if encoding not in _DEPTH_DTYPES:
        raise UnsupportedEncoding(f"compressed depth encoding {encoding!r} (supported: 16UC1, 32FC1)")
    data = np.frombuffer(bytes(msg.data), np.uint8)
    if data.size <= 12:
        raise ImageError(f"compressed depth image of {data.size} bytes: no header and PNG")
    quant_a, quant_b = np.frombuffer(data[4:12].tobytes(), "<f4")
    size = compressed_size(data[12:12 + 65536].tobytes())
    if size is not None and size[0] * size[1] > MAX_PIXELS:
        raise ImageError(f"compressed depth image too large ({size[0]}x{size[1]})")
    png = cv2.imdecode(data[12:], cv2.IMREAD_UNCHANGED)
    if png is None or png.ndim != 2 or png.dtype != np.uint16:
        raise ImageError(f"cannot decode the compressedDepth PNG ({data.size - 12} bytes)")
    if _DEPTH_DTYPES[encoding] is np.uint16:
        return png, encoding
    v = png.astype(np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        depth = np.where(png > 0, np.float32(quant_a) / (v - np.float32(quant_b)), np.nan).astype(np.float32)
    return depth, "32FC1"


def compressed_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG or JPEG header, without decoding; None if not found."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    i = 2 if data[:2] == b"\xff\xd8" else len(data)
    while i + 9 <= len(data) and data[i] == 0xFF:
        marker, length = data[i + 1], int.from_bytes(data[i + 2:i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # start of frame
            return int.from_bytes(data[i + 7:i + 9], "big"), int.from_bytes(data[i + 5:i + 7], "big")
        i += 2 + length
    return None


def compressed_to_bgr(msg) -> np.ndarray:
    """BGR uint8 from a sensor_msgs/CompressedImage (jpeg/png)."""
    data = np.frombuffer(np.asarray(msg.data, np.uint8) if isinstance(msg.data, np.ndarray) else msg.data, np.uint8)
    if data.size == 0:
        raise ImageError("empty compressed image")
    size = compressed_size(data[:65536].tobytes())
    if size is not None and size[0] * size[1] > MAX_PIXELS:  # refused before decoding allocates it
        raise ImageError(f"compressed image too large ({size[0]}x{size[1]})")
    img = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if img is None or img.size == 0:
        raise ImageError(f"cannot decode compressed image (format {msg.format!r}, {data.size} bytes)")
    return img


def bgr_to_image(img: np.ndarray, header, msg_type):
    """A bgr8 sensor_msgs/Image (msg_type = sensor_msgs.msg.Image) carrying `header`."""
    m = msg_type()
    m.header = header
    m.height, m.width = int(img.shape[0]), int(img.shape[1])
    m.encoding = "bgr8"
    m.step = int(img.shape[1] * 3)
    m.data = np.ascontiguousarray(img, np.uint8).tobytes()
    return m
