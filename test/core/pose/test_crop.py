"""Crops and back-projection match AlphaPose's test_transform / transform_preds vectors."""
import numpy as np
import pytest
import torch

from alphapose_ros.core.pose import crop

pytestmark = pytest.mark.reference


@pytest.fixture(scope="module")
def tt(reference):
    return np.load(reference / "vectors/transforms/test_transform.npz")


def test_center_scale_and_padded_box_match_reference(tt):
    c, s = crop.box_to_center_scale(tt["in_boxes_xyxy"])
    hand = slice(0, 7)  # hand-made boxes: bit-identical
    np.testing.assert_array_equal(c[hand], tt["out_center"][hand])
    np.testing.assert_array_equal(s[hand], tt["out_scale"][hand])
    # boxes 7-9 are random: the reference computed them from float64 values that the
    # file stores as float32, so they can differ in the last bit (1.5e-5 px)
    np.testing.assert_allclose(c, tt["out_center"], rtol=2e-7, atol=0)
    np.testing.assert_allclose(s, tt["out_scale"], rtol=2e-7, atol=0)
    np.testing.assert_allclose(crop.center_scale_to_box(c, s), tt["out_cropped_boxes_xyxy"], rtol=0, atol=1e-4)


@pytest.mark.parametrize("tag,ar,sm", [("ar0.75_sm1.25", 0.75, 1.25), ("ar1.0_sm1.0", 1.0, 1.0),
                                       ("ar0.75_sm1.0", 0.75, 1.0)])
def test_center_scale_on_40_boxes_including_degenerate(reference, tag, ar, sm):
    d = np.load(reference / "vectors/transforms/box_center_scale.npz")
    xywh = d["in_boxes_xywh"]
    xyxy = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1)
    c, s = crop.box_to_center_scale(xyxy, ar, sm)
    np.testing.assert_allclose(c, d[f"out_center_{tag}"], rtol=1e-6, atol=1e-4)
    np.testing.assert_allclose(s, d[f"out_scale_{tag}"], rtol=1e-6, atol=1e-4)
    np.testing.assert_allclose(crop.center_scale_to_box(c, s), d[f"out_center_scale_to_box_{tag}"], atol=1e-4)


def test_affines_match_reference(tt):
    c, s = tt["out_center"], tt["out_scale"]
    np.testing.assert_allclose(crop.crop_affine(c, s), tt["out_affine_img_to_crop"], atol=1e-9)
    np.testing.assert_allclose(crop.crop_affine(c, s, inverse=True), tt["out_affine_crop_to_img"], atol=1e-9)


def test_cpu_crops_are_bit_identical_including_the_0_1_patch_quirk(tt):
    crops, boxes = crop.crop_batch(tt["in_image_rgb_uint8"], tt["in_boxes_xyxy"])
    np.testing.assert_array_equal(crops, tt["out_crops_chw"])
    np.testing.assert_allclose(boxes, tt["out_cropped_boxes_xyxy"], atol=1e-9)


def test_torch_batched_crops_agree_with_warpaffine_up_to_its_weight_quantisation(tt):
    img = torch.from_numpy(tt["in_image_rgb_uint8"])
    crops, boxes = crop.crop_batch_torch(img, tt["in_boxes_xyxy"])
    np.testing.assert_allclose(boxes, tt["out_cropped_boxes_xyxy"], atol=1e-9)
    levels = np.abs(crops.numpy() - tt["out_crops_chw"]) * 255
    normal = [0, 1, 2, 3, 4, 6, 7, 8, 9]
    # cv2 quantises bilinear weights to 1/32: up to ~5 grey levels on sharp edges, rare
    assert levels[normal].max() <= 5.0 + 1e-3
    assert (levels[normal] > 1.5).mean() < 0.01
    # crop 5 is the 0/1 patch (not divided by 255): one level there is 1.0 in raw units
    assert levels[5].max() / 255 <= 1.0 + 1e-6


def test_back_projection_matches_transform_preds(reference):
    d = np.load(reference / "vectors/transforms/transform_preds.npz")
    out = crop.heatmap_to_image(d["in_hm_coords"], d["in_cropped_boxes_xyxy"])
    # AlphaPose goes through a float32 3-point affine; the closed form differs by <2e-5 px
    np.testing.assert_allclose(out, d["out_img_coords"], rtol=0, atol=1e-4)


def test_third_affine_point_is_float32_from_the_rounded_points_as_alphapose_computes_it():
    """About one box in eight tells the two orders apart: a float64 third point from unrounded points moves
    the affine by up to ~1e-3 and a few crop pixels by one grey level. Ours is AlphaPose's float32 order."""
    import cv2

    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 600, (500, 2)).astype(np.float32)
    boxes = np.concatenate([xy, xy + rng.uniform(20, 300, (500, 2)).astype(np.float32)], axis=1)
    c, s = crop.box_to_center_scale(boxes)
    dst = np.float32([[96, 128], [96, 32], [0, 32]])

    def affine(src2):
        a, b = src2
        return cv2.getAffineTransform(np.stack([a, b, b + np.array([b[1] - a[1], a[0] - b[0]], src2.dtype)])
                                      .astype(np.float32), dst)
    pairs = np.stack([c, c + np.stack([np.zeros(len(c)), -s[:, 0] * 0.5], 1)], 1)  # centre, half width above
    float32_order = np.array([affine(p.astype(np.float32)) for p in pairs])
    float64_order = np.array([affine(p.astype(np.float64)) for p in pairs])
    assert (np.abs(float64_order - float32_order).max((1, 2)) > 1e-6).sum() > 20  # the orders differ here
    np.testing.assert_array_equal(crop.crop_affine(c, s), float32_order)
