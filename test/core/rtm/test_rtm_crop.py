"""RTMPose crops: the warps spread over threads give exactly the crops cut one after another."""
import cv2
import numpy as np

from alphapose_ros.core.rtm.crop import centre_scale, crop_pixels


def test_crops_cut_on_several_threads_equal_those_cut_on_one():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)
    xy = rng.uniform([-20, -20], [600, 400], (10, 2))  # some boxes leave the image: black borders
    boxes = np.concatenate([xy, xy + rng.uniform([20, 50], [120, 250], (10, 2))], 1)
    centre, size = centre_scale(boxes, (192, 256))
    before = cv2.getNumThreads()
    try:
        cv2.setNumThreads(1)
        one = crop_pixels(image, centre, size, (192, 256))
        cv2.setNumThreads(4)
        many = crop_pixels(image, centre, size, (192, 256))
    finally:
        cv2.setNumThreads(before)
    assert one.shape == (10, 256, 192, 3)
    np.testing.assert_array_equal(one, many)
    first = np.zeros((256, 192, 3), np.uint8)  # and each is the plain warp of its box
    m = np.array([[192 / size[0, 0], 0, 96 - 192 / size[0, 0] * centre[0, 0]],
                  [0, 192 / size[0, 0], 128 - 192 / size[0, 0] * centre[0, 1]]])
    cv2.warpAffine(image, m, (192, 256), dst=first, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    np.testing.assert_array_equal(many[0], first)
