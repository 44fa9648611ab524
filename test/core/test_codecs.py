"""Heatmap, SIKR and flip decoding reproduce AlphaPose's decode vectors."""
import numpy as np
import pytest
import torch

from alphapose_ros.core.codecs.decode import decode_maps, decode_to_image
from alphapose_ros.core.codecs.flip import flip_maps, merge_flipped
from alphapose_ros.core.codecs.heatmap import argmax_coords
from alphapose_ros.core.codecs.sikr import decode_integral
from alphapose_ros.core.skeletons import get_format

pytestmark = pytest.mark.reference
T = torch.from_numpy


@pytest.mark.parametrize("k", [17, 26])
def test_heatmap_decode_matches_reference_including_edge_cases(reference, k):
    d = np.load(reference / f"vectors/decode/heatmap_simple_k{k}.npz")
    raw, maxvals = argmax_coords(T(d["in_heatmaps"]))
    np.testing.assert_array_equal(raw.numpy(), d["out_get_max_pred_coords"])
    np.testing.assert_array_equal(maxvals.numpy(), d["out_get_max_pred_maxvals"][..., 0])
    xy, s = decode_to_image(T(d["in_heatmaps"]), d["in_crop_boxes_xyxy"], "heatmap")
    np.testing.assert_allclose(xy, d["out_coords"], rtol=0, atol=1e-4)
    np.testing.assert_array_equal(s, d["out_scores"][..., 0])
    avg = (T(d["in_heatmaps"]) + T(d["in_heatmaps_flip"])) / 2
    xy, s = decode_to_image(avg, d["in_crop_boxes_xyxy"], "heatmap")
    np.testing.assert_allclose(xy, d["out_coords_with_flip"], rtol=0, atol=1e-4)
    np.testing.assert_allclose(s, d["out_scores_with_flip"][..., 0], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("k", [17, 26, 136])
def test_sikr_decode_matches_reference_with_and_without_flip(reference, k):
    d = np.load(reference / f"vectors/decode/regress_k{k}.npz")
    logits, boxes = T(d["in_logits"]), d["in_crop_boxes_xyxy"]
    hm_xy, hm_s = decode_integral(logits)
    np.testing.assert_allclose(hm_xy.numpy() / [48, 64] - 0.5, d["out_integral_normalised_xy"], atol=2e-6)
    np.testing.assert_allclose(hm_s.numpy(), d["out_integral_maxvals"][..., 0], rtol=1e-6)
    xy, s = decode_to_image(logits, boxes, "integral")
    np.testing.assert_allclose(xy, d["out_sigmoid_coords"], rtol=0, atol=2e-4)
    np.testing.assert_allclose(s, d["out_sigmoid_scores"][..., 0], rtol=1e-6)
    # validate.py's flip: decode both outputs, average coordinates and scores
    xy2, s2 = decode_to_image(T(d["in_logits_flip"]), boxes, "integral")
    np.testing.assert_allclose((xy + xy2) / 2, d["out_sigmoid_coords_with_flip"], rtol=0, atol=2e-4)
    np.testing.assert_allclose((s + s2) / 2, d["out_sigmoid_scores_with_flip"][..., 0], rtol=1e-6)
    if k == 136:
        xy, s = decode_to_image(logits, boxes, "integral", norm="softmax")
        # float32 sums over 3,072 map cells: the reduction order of the CPU's kernels moves a
        # 400 px coordinate by up to 3e-4 px (seen on an AMD EPYC without AVX-512), 1e-6 of it
        np.testing.assert_allclose(xy, d["out_softmax_coords"], rtol=1e-6, atol=2e-4)
        np.testing.assert_array_equal(s, 1.0)


def test_combined_head_decodes_body_as_heatmap_and_face_hands_as_sikr(reference):
    d = np.load(reference / "vectors/decode/combined_k136.npz")
    xy, s = decode_to_image(T(d["in_output"]), d["in_crop_boxes_xyxy"], "combined",
                            num_integral=int(d["param_num_face_hand"]))
    np.testing.assert_allclose(xy, d["out_coords"], rtol=0, atol=2e-4)
    np.testing.assert_allclose(s, d["out_scores"][..., 0], rtol=1e-6)


@pytest.mark.parametrize("k,fmt", [(17, "coco_17"), (26, "halpe_26"), (136, "halpe_136"), (133, "coco_wholebody_133")])
def test_flip_pairs_and_alignment_match_reference(reference, k, fmt):
    d = np.load(reference / f"vectors/decode/flip_k{k}.npz")
    perm = get_format(fmt).flip_permutation()
    assert {tuple(p) for p in d["in_joint_pairs"].tolist()} == set(get_format(fmt).flip_pairs)
    flipped = T(d["in_output_of_flipped_input"])
    np.testing.assert_array_equal(flip_maps(flipped, perm, shift="none").numpy(), d["out_flip_heatmap_noshift"])
    np.testing.assert_array_equal(T(d["in_small_image"]).flip(-1).numpy(), d["out_flip_image"])
    # upstream's overlapping in-place shift, reproduced for parity
    np.testing.assert_array_equal(flip_maps(flipped, perm, shift="alphapose_inplace").numpy(),
                                  d["out_flip_heatmap_shift"])
    np.testing.assert_allclose(merge_flipped(T(d["in_output_orig"]), flipped, perm, "alphapose_inplace").numpy(),
                               d["out_demo_merged"], rtol=1e-6, atol=1e-7)


def test_pixel_shift_moves_every_column_right_by_one():
    maps = torch.arange(2 * 3 * 4 * 6, dtype=torch.float32).reshape(2, 3, 4, 6)
    out = flip_maps(maps, np.arange(3), shift="pixel")
    mirrored = maps.flip(-1)
    assert torch.equal(out[..., 1:], mirrored[..., :-1]) and torch.equal(out[..., 0], mirrored[..., 0])
    swapped = flip_maps(maps, np.array([0, 2, 1]), shift="none")
    assert torch.equal(swapped[:, 1], mirrored[:, 2])


def test_unknown_head_is_refused():
    with pytest.raises(ValueError, match="unknown head"):
        decode_maps(torch.zeros(1, 17, 64, 48), "mystery")


@pytest.mark.parametrize("norm", ["sigmoid", "softmax"])
def test_fused_sikr_decode_equals_the_probability_map_formula(norm):
    """decode_integral skips the probability map (and reuses its buffer): the same coordinates within
    float rounding and identical scores as eq. 13-15 + soft-argmax written out, in and out of inference
    mode, for fp16 logits too, and it never aliases the caller's tensors."""
    from alphapose_ros.core.codecs.sikr import decode_integral, normalise, soft_argmax

    torch.manual_seed(0)
    for shape, dtype in (((32, 136, 64, 48), torch.float32), ((3, 21, 64, 48), torch.float16),
                         ((5, 26, 32, 24), torch.float32)):
        logits = (torch.randn(shape) * 4).to(dtype)
        before = logits.clone()
        prob, want_scores = normalise(logits, norm)
        want = soft_argmax(prob)
        with torch.inference_mode():
            got, scores = decode_integral(logits, norm)
        again, _ = decode_integral(logits, norm)  # the buffer made in inference mode is written outside it
        assert torch.equal(logits, before)
        assert float((got - want).abs().max()) < 1e-4 and torch.equal(scores, want_scores)  # heatmap px
        assert torch.equal(got, again)
