"""sensor_msgs/Image and CompressedImage read straight from their serialized (CDR) bytes, the pixels a
view of them.

The live nodes take camera images serialized and read them here instead of letting the middleware
deserialize them: a camera that outruns the graph made Fast DDS's own deserialization fail inside its
take over and over while holding Python's GIL, freezing every node of the process (docs/ros.md). Read
here, a damaged message is one ImageError (a logged skip) and the pixels are not copied again.

Layout (OMG CDR, the 4-byte encapsulation header first; alignment counted from after it): Header
(int32 sec, uint32 nanosec, string frame_id), uint32 height, uint32 width, string encoding,
uint8 is_bigendian, uint32 step, sequence<uint8> data (a CompressedImage: Header, string format,
sequence<uint8> data); a string is a uint32 length counting its terminating NUL, then its bytes, a
sequence a uint32 count, then its items. XCDR2's plain encoding is the same for these fields.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from alphapose_ros.core.io.image_msgs import ImageError

# encapsulation id -> byte order ("<" little, ">" big): CDR and PLAIN_CDR2, big- and little-endian
ENCAPSULATIONS = {0x0000: ">", 0x0001: "<", 0x0006: ">", 0x0007: "<"}
MAX_STRING = 4096  # bytes: a frame_id or encoding longer than this is a damaged message


class UnknownEncapsulation(ImageError):
    """Serialized with an encapsulation this reader does not know (the middleware's own reader may)."""


@dataclass(frozen=True)
class CdrImage:
    """The fields of a sensor_msgs/Image, `data` a view of the serialized bytes (no copy)."""
    sec: int
    nanosec: int
    frame_id: str
    height: int
    width: int
    encoding: str
    is_bigendian: int
    step: int
    data: memoryview


class _Reader:
    def __init__(self, buf: memoryview, order: str):
        self.buf, self.order, self.pos = buf, order, 4  # after the encapsulation header

    def u32(self, what: str) -> int:
        self.pos += -(self.pos - 4) % 4  # align to 4, counted from the end of the encapsulation header
        if self.pos + 4 > len(self.buf):
            raise ImageError(f"damaged image message: it ends before its {what} ({len(self.buf)} bytes)")
        (v,) = struct.unpack_from(self.order + "I", self.buf, self.pos)
        self.pos += 4
        return v

    def take(self, n: int, what: str) -> memoryview:
        if n > len(self.buf) - self.pos:
            raise ImageError(f"damaged image message: its {what} claims {n} bytes, {len(self.buf) - self.pos} "
                             f"are left of {len(self.buf)}")
        out = self.buf[self.pos:self.pos + n]
        self.pos += n
        return out

    def string(self, what: str) -> str:
        n = self.u32(what)
        if n == 0 or n > MAX_STRING:
            raise ImageError(f"damaged image message: its {what} is {n} bytes long")
        raw = self.take(n, what)
        if raw[-1] != 0:
            raise ImageError(f"damaged image message: its {what} is not NUL-terminated")
        try:
            return bytes(raw[:-1]).decode("utf-8")
        except UnicodeDecodeError:
            raise ImageError(f"damaged image message: its {what} is not UTF-8") from None


@dataclass(frozen=True)
class CdrCompressedImage:
    """The fields of a sensor_msgs/CompressedImage, `data` a view of the serialized bytes (no copy)."""
    sec: int
    nanosec: int
    frame_id: str
    format: str
    data: memoryview


def _open(raw: bytes | memoryview) -> tuple[_Reader, int, int, str]:
    """A reader past the message's Header, and the Header's (sec, nanosec, frame_id)."""
    buf = memoryview(raw).cast("B")
    if len(buf) < 4:
        raise ImageError(f"damaged image message: {len(buf)} bytes")
    kind = int.from_bytes(buf[:2], "big")
    if kind not in ENCAPSULATIONS:
        raise UnknownEncapsulation(f"image message serialized with encapsulation 0x{kind:04x}")
    r = _Reader(buf, ENCAPSULATIONS[kind])
    sec = r.u32("stamp")
    nanosec = r.u32("stamp")
    sec -= (sec >> 31) << 32  # int32
    return r, sec, nanosec, r.string("frame_id")


def parse_image_cdr(raw: bytes | memoryview) -> CdrImage:
    """The fields of a serialized sensor_msgs/Image; ImageError with a one-line reason when the bytes are
    not one (UnknownEncapsulation for an encoding of the bytes this reader does not know)."""
    r, sec, nanosec, frame_id = _open(raw)
    height, width = r.u32("height"), r.u32("width")
    encoding = r.string("encoding")
    is_bigendian = r.take(1, "is_bigendian")[0]
    step = r.u32("step")
    data = r.take(r.u32("data length"), "data")
    return CdrImage(sec, nanosec, frame_id, height, width, encoding, is_bigendian, step, data)


def parse_compressed_image_cdr(raw: bytes | memoryview) -> CdrCompressedImage:
    """The fields of a serialized sensor_msgs/CompressedImage; ImageError as parse_image_cdr."""
    r, sec, nanosec, frame_id = _open(raw)
    fmt = r.string("format")
    return CdrCompressedImage(sec, nanosec, frame_id, fmt, r.take(r.u32("data length"), "data"))
