"""RMPE's SSTN + SDTN on FastPose: starts as the identity (same maps as plain FastPose), the SDTN undoes
the SSTN, the parallel SPPE's loss reaches the transformer only, and the option is FastPose's alone."""
import numpy as np
import pytest
import torch

from alphapose_ros.core.models.config import ConfigError, build_model, parse_config
from alphapose_ros.core.models.stn import SymmetricSTN, centred_targets, invert_affine, to_refined
from alphapose_ros.core.training.sikr_loss import gaussian_heatmaps, sikr_l1_loss

THETA = torch.tensor([[[0.8, 0.1, 0.2], [-0.05, 0.9, -0.1]]])


def _cfg(stn=True, mtype="FastPose"):
    return parse_config({"MODEL": {"TYPE": mtype, "NUM_LAYERS": 50, "WIDTH": 8, "CONV_DIM": 16, "STN": stn},
                         "DATA_PRESET": {"NUM_JOINTS": 17, "IMAGE_SIZE": [64, 48], "HEATMAP_SIZE": [16, 12]},
                         "LOSS": {"TYPE": "L1JointRegression"}})


def test_an_untrained_transformer_is_the_identity():
    torch.manual_seed(0)
    plain, refined = build_model(_cfg(False)), build_model(_cfg(True))
    state = {k: v for k, v in refined.state_dict().items() if not k.startswith("stn.")}
    plain.load_state_dict(state)
    x = torch.randn(2, 3, 64, 48)
    with torch.no_grad():
        assert torch.allclose(plain(x), refined(x), atol=1e-4)


def test_sdtn_brings_a_peak_back_where_the_sstn_took_it_from():
    hw = (32, 24)
    xy = torch.tensor([[[10.0, 20.0]]])
    moved = SymmetricSTN.sstn(gaussian_heatmaps(xy, hw, 1.5), THETA)
    iy, ix = np.unravel_index(int(moved[0, 0].argmax()), hw)
    assert np.allclose([ix, iy], to_refined(xy, THETA, hw)[0, 0].numpy(), atol=0.6)
    back = SymmetricSTN.sdtn(moved, THETA)
    iy, ix = np.unravel_index(int(back[0, 0].argmax()), hw)
    assert (ix, iy) == (10, 20)


def test_sdtn_fills_outside_the_refined_crop_with_the_maps_lowest_value():
    maps = torch.full((1, 1, 16, 12), -5.0)
    maps[0, 0, 8, 6] = 3.0
    zoom_in = torch.tensor([[[0.5, 0.0, 0.0], [0.0, 0.5, 0.0]]])  # the refined crop is the middle quarter
    back = SymmetricSTN.sdtn(maps, zoom_in)
    assert back[0, 0, 0, 0] == -5.0 and back.min() >= -5.0 and back.max() > -4.0  # the peak, shrunk


def test_closed_form_inverse_matches_the_matrix_inverse():
    full = torch.cat([THETA, torch.tensor([[[0.0, 0.0, 1.0]]])], 1)
    assert torch.allclose(invert_affine(THETA), torch.linalg.inv(full)[:, :2], atol=1e-6)


def test_parallel_labels_centre_the_labelled_keypoints():
    xy = torch.tensor([[[2.0, 3.0], [6.0, 9.0], [100.0, 100.0]]])
    w = torch.tensor([[1.0, 1.0, 0.0]])
    c = centred_targets(xy, w, (16, 12))
    lab = c[0, :2]
    assert torch.allclose((lab.amin(0) + lab.amax(0)) / 2, torch.tensor([5.5, 7.5]))
    assert torch.allclose(c[0, 1] - c[0, 0], xy[0, 1] - xy[0, 0])


def test_parallel_sppe_loss_reaches_the_transformer_only():
    from alphapose_ros.core.training.parallel_sppe import backward_with_parallel, stn_losses

    def grads(parallel_weight):
        torch.manual_seed(0)
        model = build_model(_cfg()).train()
        torch.manual_seed(1)
        x, t = torch.randn(4, 3, 64, 48), torch.rand(4, 17, 2) * torch.tensor([12.0, 16.0])
        main, par = stn_losses(model, x, t, torch.ones(4, 17), lambda o, tt, ww: sikr_l1_loss(o, tt, ww))
        backward_with_parallel(model, main, par, parallel_weight)
        return {k: p.grad.clone() for k, p in model.named_parameters() if p.grad is not None}

    a, b = grads(0.0), grads(5.0)
    pose_keys = [k for k in a if not k.startswith("stn.")]
    stn_keys = [k for k in a if k.startswith("stn.")]
    assert pose_keys and stn_keys
    assert all(torch.equal(a[k], b[k]) for k in pose_keys)
    assert any(not torch.allclose(a[k], b[k]) for k in stn_keys)


def test_stn_is_an_option_of_fastpose_only():
    with pytest.raises(ConfigError, match="STN"):
        _cfg(True, "SimplePose")
    assert "SSTN" in _cfg().describe()


def test_the_exportable_grid_is_torchs_affine_grid():
    import torch.nn.functional as F

    from alphapose_ros.core.models.stn import affine_grid

    theta = THETA.expand(2, 2, 3)
    assert torch.allclose(affine_grid(theta, (7, 5)), F.affine_grid(theta, [2, 1, 7, 5], align_corners=False),
                          atol=1e-6)
