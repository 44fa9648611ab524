"""Property-based fuzzing of what comes in from outside: image messages, compressed frames
and external boxes. Whatever arrives, the result is a usable value or the module's own
one-line error, never another exception and never garbage. Cases that once found a bug
are pinned with @example."""
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from alphapose_ros.core.detectors.base import Detections  # noqa: E402
from alphapose_ros.core.detectors.external import BoxFilter, filter_boxes  # noqa: E402
from alphapose_ros.core.io.image_msgs import ImageError, compressed_to_bgr, image_to_bgr  # noqa: E402

ENCODINGS = ["bgr8", "rgb8", "bgra8", "rgba8", "mono8", "8UC3", "8UC1", "16UC1", "yuv422", "", "BGR8"]
FUZZ = settings(max_examples=300, deadline=None, derandomize=True)


@FUZZ
@given(enc=st.sampled_from(ENCODINGS), h=st.integers(0, 40), w=st.integers(0, 40), extra_step=st.integers(-8, 8),
       data_delta=st.integers(-64, 64), bigendian=st.integers(0, 1))
@example(enc="bgr8", h=2, w=3, extra_step=-1, data_delta=0, bigendian=0)  # step shorter than a row
@example(enc="mono8", h=1, w=1, extra_step=0, data_delta=-1, bigendian=0)  # one byte short
def test_any_raw_image_message_gives_a_bgr_image_or_an_image_error(enc, h, w, extra_step, data_delta, bigendian):
    ch = {"bgr8": 3, "rgb8": 3, "8UC3": 3, "bgra8": 4, "rgba8": 4}.get(enc, 1)
    step = max(0, w * ch + extra_step)
    data = bytes(np.random.default_rng(h * 100 + w).integers(0, 256, max(0, h * step + data_delta), np.uint8))
    msg = SimpleNamespace(encoding=enc, height=h, width=w, step=step, data=data, is_bigendian=bigendian)
    try:
        img = image_to_bgr(msg)
    except ImageError as e:
        assert str(e) and "\n" not in str(e)
        return
    assert img.shape == (h, w, 3) and img.dtype == np.uint8


_JPEG = cv2.imencode(".jpg", np.full((16, 16, 3), 120, np.uint8))[1].tobytes()
_PNG = cv2.imencode(".png", np.full((8, 8, 3), 7, np.uint8))[1].tobytes()


@FUZZ
@given(base=st.sampled_from([_JPEG, _PNG, b""]), cut=st.integers(0, 400), flips=st.lists(st.integers(0, 399), max_size=8),
       junk=st.binary(max_size=64))
def test_any_compressed_frame_decodes_or_raises_an_image_error(base, cut, flips, junk):
    data = bytearray(base[:cut] if cut else base) + junk
    for i in flips:
        if i < len(data):
            data[i] ^= 0xFF
    try:
        img = compressed_to_bgr(SimpleNamespace(format="jpeg", data=bytes(data)))
    except ImageError as e:
        assert str(e)
        return
    assert img.ndim == 3 and img.shape[2] == 3 and img.size > 0


coord = st.one_of(st.floats(-1e6, 1e6), st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 640.0]))


@FUZZ
@given(boxes=st.lists(st.tuples(coord, coord, coord, coord), max_size=12),
       scores=st.lists(st.one_of(st.floats(-1, 2), st.just(np.nan)), min_size=12, max_size=12),
       wh=st.tuples(st.integers(1, 2000), st.integers(1, 2000)))
@example(boxes=[(0.0, 0.0, np.inf, np.inf)], scores=[0.9] * 12, wh=(640, 480))  # was clamped to the whole image
@example(boxes=[(-np.inf, 10.0, 50.0, 60.0)], scores=[0.9] * 12, wh=(640, 480))
def test_external_boxes_come_out_finite_inside_the_image_with_area_or_not_at_all(boxes, scores, wh):
    n = len(boxes)
    det = Detections(np.array(boxes, np.float64).reshape(n, 4), np.array(scores[:n]), np.zeros(n, np.int64))
    out = filter_boxes(det, wh, BoxFilter(nms_thresh=None))
    w, h = wh
    assert np.isfinite(out.boxes).all() and np.isfinite(out.scores).all()
    assert (out.boxes[:, [0, 2]] >= 0).all() and (out.boxes[:, [0, 2]] <= w).all()
    assert (out.boxes[:, [1, 3]] >= 0).all() and (out.boxes[:, [1, 3]] <= h).all()
    assert ((out.boxes[:, 2] > out.boxes[:, 0]) & (out.boxes[:, 3] > out.boxes[:, 1])).all()
    # a box with a non-finite corner is garbage, not "the whole image"
    finite_in = np.isfinite(det.boxes).all(1) if n else np.zeros(0, bool)
    assert len(out) <= int(finite_in.sum())
