"""FastPose-DCN: without torchvision the model refuses to build and says what to install; with
it (skipped where torchvision does not load beside this torch), the deformable conv is a plain
conv at zero offsets, samples where the offsets point, and the whole DCN network equals the
plain network when its offset convs are zero."""
import pytest
import torch
import torch.nn.functional as F

from alphapose_ros.core.pose.checkpoints import load_state_dict_strict
from alphapose_ros.core.models.config import build_model
from alphapose_ros.core.models.layers import DeformConv3x3


def _has_deform_conv() -> bool:
    try:
        from torchvision.ops import deform_conv2d  # noqa: F401
    except Exception:  # not installed, or built for another torch
        return False
    return True


needs_torchvision = pytest.mark.skipif(not _has_deform_conv(), reason="torchvision's deform_conv2d does not load "
                                       "here (torch 2.13 has no matching torchvision on PyPI)")
DCN_LAYOUT = "halpe_136__resnet__256x192_res50_lr1e-3_2x-dcn-regression"
PLAIN_LAYOUT = "halpe_136__resnet__256x192_res50_lr1e-3_2x-regression"


@pytest.mark.skipif(_has_deform_conv(), reason="torchvision is installed: the model builds")
def test_without_torchvision_a_dcn_model_refuses_to_build_and_names_the_fix():
    with pytest.raises(RuntimeError, match=r"deformable convolution.*torchvision"):
        DeformConv3x3(8, 8)


@needs_torchvision
def test_deformable_conv_at_zero_offsets_is_the_plain_conv():
    torch.manual_seed(0)
    dc = DeformConv3x3(8, 16, stride=2)
    x = torch.randn(2, 8, 20, 14)
    off = torch.zeros(2, 18, 10, 7)
    torch.testing.assert_close(dc(x, off), F.conv2d(x, dc.weight, stride=2, padding=1), rtol=1e-5, atol=1e-5)


@needs_torchvision
def test_deformable_conv_samples_where_the_offsets_point():
    torch.manual_seed(0)
    dc = DeformConv3x3(4, 4)
    x = torch.randn(1, 4, 12, 12)
    off = torch.zeros(1, 18, 12, 12)
    off[:, 1::2] = 1.0  # every tap one pixel to the right (offsets are (dy, dx) pairs)
    shifted = F.pad(x[..., 1:], (0, 1))  # compared away from the borders, where padding differs
    torch.testing.assert_close(dc(x, off)[..., 1:-2], F.conv2d(shifted, dc.weight, padding=1)[..., 1:-2],
                               rtol=1e-5, atol=1e-5)


@pytest.mark.reference
@needs_torchvision
def test_dcn_network_with_zero_offsets_equals_the_plain_network(layout):
    dcn_cfg, plain_cfg = layout(DCN_LAYOUT)[1], layout(PLAIN_LAYOUT)[1]
    torch.manual_seed(0)
    dcn = build_model(dcn_cfg).eval()
    state = dcn.state_dict()
    assert any(k.endswith("conv2_offset.weight") for k in state)
    for k in state:
        if "conv2_offset" in k:
            state[k].zero_()
        elif k.endswith("running_var"):
            state[k].uniform_(0.5, 2.0)  # non-trivial batch-norm statistics
    dcn.load_state_dict(state)
    plain = build_model(plain_cfg).eval()
    load_state_dict_strict(plain, {k: v for k, v in state.items() if "conv2_offset" not in k}, plain_cfg)
    x = torch.randn(2, 3, 256, 192)
    with torch.no_grad():
        torch.testing.assert_close(dcn(x), plain(x), rtol=1e-4, atol=1e-4)
