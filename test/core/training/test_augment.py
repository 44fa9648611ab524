"""Training crops: targets follow the pixels through scale, rotation and flip (a flipped
left keypoint lands on what was the right one), and an unaugmented crop is the crop the
estimator cuts at inference."""
import cv2
import numpy as np
import pytest

from alphapose_ros.core.pose.crop import box_to_center_scale, crop_affine
from alphapose_ros.core.skeletons import get_format
from alphapose_ros.core.training.augment import AugmentConfig, crop_matrix, training_sample

FMT = get_format("coco_17")
COLOURS = np.array([[20 + 13 * k, 250 - 11 * k, (60 * k) % 256] for k in range(17)], np.uint8)


def _scene():
    rng = np.random.default_rng(0)
    img = np.zeros((300, 260, 3), np.uint8)
    kps = np.zeros((17, 3), np.float32)
    grid = np.stack(np.meshgrid(np.arange(80, 190, 25), np.arange(50, 260, 40)), -1).reshape(-1, 2)
    kps[:, :2], kps[:, 2] = grid[rng.permutation(len(grid))[:17]], 2  # dots far apart: no overlaps
    for k, (x, y, _) in enumerate(kps):
        cv2.circle(img, (int(x), int(y)), 4, COLOURS[k].tolist(), -1)
    return img, kps, np.array([60, 30, 200, 270], np.float32)


def _colour_at(x_chw, xy):
    from alphapose_ros.core.pose.crop import PIXEL_MEAN_RGB

    rgb = (x_chw.transpose(1, 2, 0) + np.asarray(PIXEL_MEAN_RGB, np.float32)) * 255
    return rgb[int(round(xy[1])), int(round(xy[0]))]


@pytest.mark.parametrize("seed", range(6))
def test_targets_land_on_their_keypoints_pixels_after_augmentation(seed):
    img, kps, box = _scene()
    aug = AugmentConfig(flip=True, rot_factor=30, scale_factor=0.25, prob_half_body=0.0)
    rng = np.random.default_rng(seed)
    x, target, weight = training_sample(img, kps, box, FMT, (256, 192), (64, 48), rng, aug)
    assert x.shape == (3, 256, 192) and target.shape == (17, 2)
    perm = FMT.flip_permutation()
    seen = 0
    for k in np.flatnonzero(weight):
        got = _colour_at(x, target[k] * 4)
        same = np.abs(got - COLOURS[k]).max() < 25
        swapped = np.abs(got - COLOURS[perm[k]]).max() < 25
        assert same or swapped, (k, got)
        seen += 1
    assert seen >= 10


def test_flip_sends_left_keypoint_targets_to_the_right_keypoints_pixels():
    img, kps, box = _scene()
    aug = AugmentConfig(flip=True, rot_factor=0, scale_factor=0, prob_half_body=0.0)
    for seed in range(20):
        x, target, weight = training_sample(img, kps, box, FMT, (256, 192), (64, 48), np.random.default_rng(seed), aug)
        left = FMT.names.index("left_wrist")
        c = _colour_at(x, target[left] * 4)
        if np.abs(c - COLOURS[FMT.names.index("right_wrist")]).max() < 25:
            return  # found a flipped crop: the left wrist's target is the right wrist's dot
    pytest.fail("no flipped crop in 20 draws")


def test_unaugmented_crop_matrix_is_the_inference_crop():
    box = np.array([[30.5, 40.0, 130.0, 300.0]], np.float32)
    c, s = box_to_center_scale(box, 192 / 256)
    np.testing.assert_allclose(crop_matrix(c[0].astype(float), float(s[0, 0]), 0.0, (192, 256)),
                               crop_affine(c, s, (192, 256))[0], atol=1e-4)
