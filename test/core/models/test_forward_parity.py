"""FastPose with AlphaPose's own (random, int8-encoded) weights reproduces its outputs."""
import numpy as np
import pytest
import torch
from conftest import dequantise

from alphapose_ros.core.pose.checkpoints import load_state_dict_strict, normalise_state_dict
from alphapose_ros.core.codecs.decode import decode_to_image
from alphapose_ros.core.codecs.flip import flip_maps, merge_flipped
from alphapose_ros.core.pose.crop import crop_batch
from alphapose_ros.core.models.config import build_model
from alphapose_ros.core.skeletons import get_format

pytestmark = pytest.mark.reference

CASES = {  # vector name -> the checkpoint layout of its config
    "fastpose50_coco17": "coco__resnet__256x192_res50_lr1e-3_1x",
    "fastpose50_halpe136_regression": "halpe_136__resnet__256x192_res50_lr1e-3_2x-regression",
}


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request, alphapose_files, layout):
    name = request.param
    vec = alphapose_files / "vectors/model_forward"
    _, cfg = layout(CASES[name])
    ref = torch.load(vec / f"{name}_weights_int8.pt", map_location="cpu", weights_only=True)
    model = build_model(cfg)
    load_state_dict_strict(model, normalise_state_dict(dequantise(ref)), cfg)
    io = np.load(vec / f"{name}_io.npz")
    with torch.no_grad():
        x = torch.from_numpy(io["in_crops"])
        out = model(x)
        out_flip = model(x.flip(-1))
        preact = model.preact(x)
    return cfg, io, out, out_flip, preact


def test_crops_from_image_and_boxes_are_the_network_inputs(case):
    _, io, *_ = case
    crops, boxes = crop_batch(io["in_image_rgb_uint8"], io["in_boxes_xyxy"])
    np.testing.assert_array_equal(crops, io["in_crops"])
    np.testing.assert_allclose(boxes, io["in_cropped_boxes_xyxy"], atol=1e-4)


def test_backbone_and_raw_outputs_match(case):
    _, io, out, out_flip, preact = case
    # backbone activations reach ~800 with these random weights: float32 noise scales with them
    # (a float64 run of the same network sits closer to ours than to the reference)
    ref = io["out_preact"]
    np.testing.assert_allclose(preact.numpy(), ref, rtol=1e-4, atol=1e-5 * np.abs(ref).max())
    assert np.linalg.norm(preact.numpy() - ref) / np.linalg.norm(ref) < 1e-5
    np.testing.assert_allclose(out.numpy(), io["out_raw"], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(out_flip.numpy(), io["out_raw_of_flipped_input"], rtol=1e-4, atol=1e-4)


def test_decoded_keypoints_match_without_and_with_flip(case):
    cfg, io, out, out_flip, _ = case
    boxes = io["in_cropped_boxes_xyxy"]
    perm = get_format(cfg.keypoint_format).flip_permutation()
    # coordinates within 0.01 px and scores within 1e-4 after float-tolerant network outputs
    xy, s = decode_to_image(out, boxes, cfg.head)
    np.testing.assert_allclose(xy, io["out_coords"], atol=1e-2)
    np.testing.assert_allclose(s, io["out_scores"][..., 0], atol=1e-4)
    merged = merge_flipped(out, out_flip, perm, shift="alphapose_inplace")
    np.testing.assert_allclose(merged.numpy(), io["out_flip_merged_demo"], rtol=1e-4, atol=1e-4)
    xy, s = decode_to_image(merged, boxes, cfg.head)
    np.testing.assert_allclose(xy, io["out_coords_flip_demo"], atol=1e-2)
    np.testing.assert_allclose(s, io["out_scores_flip_demo"][..., 0], atol=1e-4)
    aligned = flip_maps(out_flip, perm, shift="alphapose_inplace")
    if cfg.head == "heatmap":  # validate.py averages heatmaps, then decodes
        xy, s = decode_to_image((out + aligned) / 2, boxes, cfg.head)
    else:  # ... and for regression decodes both and averages the results
        xy1, s1 = decode_to_image(out, boxes, cfg.head)
        xy2, s2 = decode_to_image(aligned, boxes, cfg.head)
        xy, s = (xy1 + xy2) / 2, (s1 + s2) / 2
    np.testing.assert_allclose(xy, io["out_coords_flip_validate"], atol=1e-2)
    np.testing.assert_allclose(s, io["out_scores_flip_validate"][..., 0], atol=1e-4)
