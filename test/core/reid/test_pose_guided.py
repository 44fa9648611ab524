"""Pose-guided re-ID branch: the attention helps where a box holds another person, the branch
attaches to FastPose, and pose-only samples give the branch no gradient."""
import numpy as np
import pytest
import torch

from alphapose_ros.core.reid.pose_guided import PoseGuidedReID, PoseWithReID
from alphapose_ros.core.training.reid_loss import UncertaintyBalance, identity_loss

IDS, C = 10, 32


def _crops(n, rng, identity):
    """Feature maps (n,C,8,6): the person (3x2 cells where the keypoint maps are) carries their
    identity vector, the rest of the box a different person's -- the case PGA is for."""
    who = rng.integers(0, IDS, n)
    other = (who + rng.integers(1, IDS, n)) % IDS
    feats = identity[other][:, :, None, None] + 0.3 * rng.normal(size=(n, C, 8, 6))
    maps = np.zeros((n, 4, 32, 24))
    for s in range(n):
        y, x = rng.integers(0, 6), rng.integers(0, 4)
        feats[s, :, y:y + 3, x:x + 2] = identity[who[s]][:, None, None] + 0.3 * rng.normal(size=(C, 3, 2))
        ky, kx = rng.integers(y * 4, y * 4 + 12, 4), rng.integers(x * 4, x * 4 + 8, 4)
        maps[s, np.arange(4), ky, kx] = 1.0
    f = torch.tensor(feats, dtype=torch.float32)
    return f, torch.tensor(maps, dtype=torch.float32), torch.tensor(who)


def _train(attention: bool) -> float:
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    identity = rng.normal(size=(IDS, C))
    branch = PoseGuidedReID(C, 4, embed_dim=16, reid_channels=32, num_identities=IDS, attention=attention)
    opt = torch.optim.Adam(branch.parameters(), lr=1e-2)
    for _ in range(250):
        f, m, who = _crops(64, rng, identity)
        loss = identity_loss(branch(f, m)[1], who)
        opt.zero_grad()
        loss.backward()
        opt.step()
    branch.eval()
    f, m, who = _crops(1000, np.random.default_rng(1), identity)
    with torch.no_grad():
        return float((branch(f, m)[1].argmax(1) == who).float().mean())


def test_pose_guided_attention_finds_the_person_plain_pooling_does_not():
    with_pga, without = _train(True), _train(False)
    assert with_pga > 0.9 and with_pga - without > 0.3, (with_pga, without)


@pytest.fixture(scope="module")
def fastpose_reid():
    from alphapose_ros.core.models.fastpose import FastPose

    torch.manual_seed(0)
    return PoseWithReID(FastPose(17, 50, 128), 17, num_identities=5)


def test_branch_rides_on_fastpose_backbone(fastpose_reid):
    fastpose_reid.eval()
    with torch.no_grad():
        maps, emb, logits = fastpose_reid(torch.rand(2, 3, 256, 192))
        plain = fastpose_reid.pose(torch.rand(2, 3, 256, 192) * 0)  # the pose network still runs alone
    assert maps.shape == (2, 17, 64, 48) and emb.shape == (2, 128) and logits.shape == (2, 5)
    assert plain.shape == maps.shape
    torch.testing.assert_close(emb.norm(dim=1), torch.ones(2))


def test_pose_only_samples_give_the_reid_branch_no_gradient(fastpose_reid):
    fastpose_reid.train()
    balance = UncertaintyBalance()
    x = torch.rand(2, 3, 256, 192)
    for ids, reid_grad in ((torch.tensor([-1, -1]), False), (torch.tensor([0, 3]), True)):
        fastpose_reid.zero_grad()
        maps, _, logits = fastpose_reid(x)
        loss = balance(maps.pow(2).mean(), identity_loss(logits, ids))
        loss.backward()
        g = fastpose_reid.reid.fc.weight.grad
        assert (g is not None and bool(g.abs().sum() > 0)) == reid_grad
        assert fastpose_reid.pose.conv_out.weight.grad.abs().sum() > 0
