"""SIKR training loss: forward equals inference decoding, the backward pass is exactly the
amplitude-symmetric gradient of eq. (3), and it trains a map towards its target."""
import pytest
import torch

from alphapose_ros.core.codecs.sikr import decode_integral, normalise
from alphapose_ros.core.training.sikr_loss import (SymmetricSoftArgmax, gaussian_heatmaps, heatmap_mse_loss,
                                                   integral_locations, sikr_l1_loss)


def test_forward_pass_is_the_inference_decoding():
    logits = torch.randn(3, 5, 64, 48, dtype=torch.float64)
    xy, scores = integral_locations(logits)
    want_xy, want_scores = decode_integral(logits)
    torch.testing.assert_close(xy, want_xy.to(xy.dtype))
    torch.testing.assert_close(scores, want_scores.to(scores.dtype))


def test_backward_is_eq3_and_differs_from_plain_autograd_as_it_says():
    torch.manual_seed(0)
    h, w = 16, 12
    prob, _ = normalise(torch.randn(2, 3, h, w, dtype=torch.float64) * 3)
    prob = prob.detach().requires_grad_(True)
    target = torch.rand(2, 3, 2, dtype=torch.float64) * torch.tensor([w - 1, h - 1], dtype=torch.float64)

    mu = SymmetricSoftArgmax.apply(prob)
    torch.abs(mu - target).sum().backward()  # dL/dmu = sgn(mu - target) exactly
    asg = prob.grad.clone()

    prob.grad = None
    from alphapose_ros.core.codecs.sikr import soft_argmax
    mu_plain = soft_argmax(prob)
    torch.abs(mu_plain - target).sum().backward()
    plain = prob.grad.clone()

    x = torch.arange(w, dtype=torch.float64)
    y = torch.arange(h, dtype=torch.float64)
    s = torch.sign(mu.detach() - target)
    # eq. (2): plain autograd gives x * sgn(mu - target) (+ the same for y)
    want_plain = x * s[..., 0:1, None] + y[:, None] * s[..., 1:2, None]
    torch.testing.assert_close(plain, want_plain.expand_as(plain))
    # eq. (3): A_grad * sgn(x - mu) * sgn(mu - target), A_grad = size / 8 per axis
    m = mu.detach()
    want = ((w / 8) * torch.sign(x - m[..., 0:1]) * s[..., 0:1])[..., None, :] \
        + ((h / 8) * torch.sign(y - m[..., 1:2]) * s[..., 1:2])[..., :, None]
    torch.testing.assert_close(asg, want)
    assert not torch.allclose(asg, plain)


def test_masked_joints_do_not_contribute():
    logits = torch.randn(1, 2, 16, 12, requires_grad=True)
    target = torch.tensor([[[3.0, 4.0], [100.0, 100.0]]])
    loss = sikr_l1_loss(logits, target, torch.tensor([[1.0, 0.0]]))
    loss.backward()
    assert logits.grad[0, 1].abs().sum() == 0 and logits.grad[0, 0].abs().sum() > 0


@pytest.mark.parametrize("symmetric", [True, False])
def test_gradient_descent_moves_the_prediction_to_the_target(symmetric):
    torch.manual_seed(1)
    logits = torch.zeros(1, 1, 32, 24, requires_grad=True)
    target = torch.tensor([[[5.0, 25.0]]])
    opt = torch.optim.Adam([logits], lr=0.3)
    first = None
    for _ in range(150):
        opt.zero_grad()
        loss = sikr_l1_loss(logits, target, torch.ones(1, 1), symmetric=symmetric)
        first = first if first is not None else float(loss.detach())
        loss.backward()
        opt.step()
    assert float(loss) < 0.25 * first


def test_heatmap_loss_is_zero_at_the_gaussian_target_and_positive_elsewhere():
    target = torch.tensor([[[10.0, 20.0]]])
    perfect = gaussian_heatmaps(target, (64, 48))
    assert perfect[0, 0, 20, 10] == 1.0 and perfect[0, 0].argmax() == 20 * 48 + 10
    assert float(heatmap_mse_loss(perfect, target, torch.ones(1, 1))) == 0.0
    assert float(heatmap_mse_loss(torch.zeros_like(perfect), target, torch.ones(1, 1))) > 0
