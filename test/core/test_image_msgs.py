"""Image message conversion: zero-copy views, encodings, and clear errors for bad frames."""
import cv2
import numpy as np
import pytest

pytestmark = pytest.mark.ros


def _img(ros_msgs, arr, enc, step=None):
    from sensor_msgs.msg import Image

    m = Image()
    m.height, m.width = arr.shape[:2]
    m.encoding = enc
    m.step = step or arr.strides[0]
    m.data = arr.tobytes()
    return m


def test_bgr8_is_a_view_and_rgb_mono_convert(ros_msgs):
    from alphapose_ros.core.io.image_msgs import image_to_bgr

    rng = np.random.default_rng(0)
    bgr = rng.integers(0, 255, (4, 5, 3), dtype=np.uint8)
    out = image_to_bgr(_img(ros_msgs, bgr, "bgr8"))
    np.testing.assert_array_equal(out, bgr)
    assert not out.flags.owndata  # a view of the message buffer
    np.testing.assert_array_equal(image_to_bgr(_img(ros_msgs, bgr[..., ::-1].copy(), "rgb8")), bgr)
    gray = bgr[..., 0].copy()
    assert image_to_bgr(_img(ros_msgs, gray, "mono8")).shape == (4, 5, 3)


def test_padded_rows_are_cropped(ros_msgs):
    from alphapose_ros.core.io.image_msgs import image_to_bgr

    bgr = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    padded = np.zeros((2, 12), np.uint8)
    padded[:, :9] = bgr.reshape(2, 9)
    m = _img(ros_msgs, padded, "bgr8", step=12)
    m.width = 3
    np.testing.assert_array_equal(image_to_bgr(m), bgr)


@pytest.mark.fault("bad-frames")
@pytest.mark.parametrize("mutate,match", [
    (lambda m: setattr(m, "encoding", "bayer_rggb16"), "unsupported image encoding"),
    (lambda m: setattr(m, "height", 0), "empty image"),
    (lambda m: setattr(m, "data", bytes(m.data[:10])), "truncated"),
    (lambda m: setattr(m, "step", 2), "shorter than a row"),
])
def test_bad_frames_raise_image_error(ros_msgs, mutate, match):
    from alphapose_ros.core.io.image_msgs import ImageError, image_to_bgr

    m = _img(ros_msgs, np.zeros((4, 5, 3), np.uint8), "bgr8")
    mutate(m)
    with pytest.raises(ImageError, match=match):
        image_to_bgr(m)


@pytest.mark.fault("bad-frames")
def test_compressed_images_decode_or_fail_clearly(ros_msgs):
    from sensor_msgs.msg import CompressedImage

    from alphapose_ros.core.io.image_msgs import ImageError, compressed_to_bgr

    img = np.full((8, 8, 3), 100, np.uint8)
    m = CompressedImage(format="png", data=cv2.imencode(".png", img)[1].tobytes())
    np.testing.assert_array_equal(compressed_to_bgr(m), img)
    m.data = m.data[:20]
    with pytest.raises(ImageError, match="cannot decode"):
        compressed_to_bgr(m)


@pytest.mark.fault("huge-frames")
@pytest.mark.parametrize("ext", [".png", ".jpg"])
def test_huge_images_are_refused_before_any_pixel_is_allocated(ext):
    from types import SimpleNamespace

    from alphapose_ros.core.io.image_msgs import ImageError, compressed_size, compressed_to_bgr, image_to_bgr

    data = bytearray(cv2.imencode(ext, np.zeros((23, 37, 3), np.uint8))[1].tobytes())
    assert compressed_size(bytes(data)) == (37, 23)
    # the same file with its header claiming 20000 x 20000 (a decompression bomb)
    if ext == ".png":
        data[16:24] = (20000).to_bytes(4, "big") * 2
    else:
        sof = next(i for i in range(2, len(data) - 9) if data[i] == 0xFF and data[i + 1] == 0xC0)
        data[sof + 5:sof + 9] = (20000).to_bytes(2, "big") * 2
    with pytest.raises(ImageError, match="too large"):
        compressed_to_bgr(SimpleNamespace(format=ext[1:], data=bytes(data)))
    raw = SimpleNamespace(encoding="bgr8", height=20000, width=20000, step=60000, is_bigendian=0, data=b"\0" * 100)
    with pytest.raises(ImageError, match="too large"):
        image_to_bgr(raw)


@pytest.mark.fault("depth-unusable")
def test_depth_images_in_either_byte_order_with_padded_rows_and_bad_ones_refused(ros_msgs):
    from alphapose_ros.core.io.image_msgs import ImageError, depth_image_to_array

    mm = np.array([[1000, 2000, 65535], [0, 1, 4500]], np.uint16)
    assert np.array_equal(depth_image_to_array(_img(ros_msgs, mm, "16UC1")), mm)
    assert np.array_equal(depth_image_to_array(_padded(ros_msgs, mm, 8)), mm)
    big = _img(ros_msgs, mm.astype(">u2").view(np.uint8).reshape(2, 6), "16UC1")
    big.width, big.is_bigendian = 3, 1
    assert np.array_equal(depth_image_to_array(big), mm)
    m = np.array([[1.5, np.nan]], np.float32)
    assert np.array_equal(depth_image_to_array(_img(ros_msgs, m, "32FC1")), m, equal_nan=True)
    with pytest.raises(ImageError, match="unsupported depth encoding 'bgr8'"):
        depth_image_to_array(_img(ros_msgs, np.zeros((2, 2, 3), np.uint8), "bgr8"))
    short = _img(ros_msgs, mm, "16UC1")
    short.data = short.data[:5]
    with pytest.raises(ImageError, match="truncated depth image data"):
        depth_image_to_array(short)


def _padded(ros_msgs, mm, step):
    """A 16UC1 message of `mm` whose rows are padded to `step` bytes."""
    buf = np.zeros((mm.shape[0], step), np.uint8)
    buf[:, :mm.shape[1] * 2] = mm.view(np.uint8)
    m = _img(ros_msgs, buf, "16UC1", step=step)
    m.width = mm.shape[1]
    return m


def test_compressed_depth_decodes_16_bit_depth_and_quantised_inverse_depth(ros_msgs):
    from sensor_msgs.msg import CompressedImage

    from alphapose_ros.core.io.image_msgs import ImageError, compressed_depth_to_array

    mm = np.array([[0, 1000, 2500], [4000, 65535, 7]], np.uint16)
    ok, png = cv2.imencode(".png", mm)
    head16 = np.zeros(3, "<i4").tobytes()
    got, enc = compressed_depth_to_array(CompressedImage(format="16UC1; compressedDepth png", data=head16 + png.tobytes()))
    assert enc == "16UC1" and np.array_equal(got, mm)
    # 32FC1: quantised inverse depth v = A / d + B with A = z0 (z0 + 1), B = 1 - A / d_max; v = 0: no depth
    z0, d_max = 100.0, 10.0
    a, b = z0 * (z0 + 1), 1 - z0 * (z0 + 1) / d_max
    d = np.array([[0.5, 1.0, 2.0], [4.5, 9.0, np.nan]], np.float32)
    v = np.where(np.isfinite(d), a / np.nan_to_num(d, nan=1.0) + b, 0).astype(np.uint16)
    ok, png = cv2.imencode(".png", v)
    head32 = np.array([0], "<i4").tobytes() + np.array([a, b], "<f4").tobytes()
    got, enc = compressed_depth_to_array(CompressedImage(format="32FC1; compressedDepth png", data=head32 + png.tobytes()))
    assert enc == "32FC1" and np.isnan(got[1, 2])
    np.testing.assert_allclose(got[np.isfinite(d)], d[np.isfinite(d)], rtol=0.01)
    with pytest.raises(ImageError, match="rvl"):
        compressed_depth_to_array(CompressedImage(format="16UC1; compressedDepth rvl", data=head16 + png.tobytes()))
    with pytest.raises(ImageError, match="cannot decode"):
        compressed_depth_to_array(CompressedImage(format="16UC1; compressedDepth", data=head16 + b"not a png"))


@pytest.mark.fault("image-wrong-encoding-label")
def test_float_depth_labelled_16uc1_and_rgba_labelled_rgb8_are_refused_not_misread(ros_msgs):
    from alphapose_ros.core.io.image_msgs import ImageError, depth_image_to_array, image_to_bgr

    metres = np.full((4, 64), 2.0, np.float32)  # 2 m everywhere, labelled as millimetres
    wrong = _img(ros_msgs, metres.view(np.uint8).reshape(4, 256), "16UC1", step=256)
    wrong.width = 64
    with pytest.raises(ImageError, match="step 256 is 2x a row of 128 bytes .*not 16UC1"):
        depth_image_to_array(wrong)
    rgba = _img(ros_msgs, np.zeros((4, 64 * 4), np.uint8), "rgb8", step=256)
    rgba.width = 64
    with pytest.raises(ImageError, match="not rgb8"):
        image_to_bgr(rgba)
    assert depth_image_to_array(_padded(ros_msgs, np.zeros((2, 64), np.uint16), 128 + 32)).shape == (2, 64)
