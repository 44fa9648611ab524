"""Pose-guided re-ID branch: the attention helps where a box holds another person, the weighted map is
eq. 20's m_id * m_A + m_id, the branch rides on FastPose's backbone without changing its keypoint maps, and
pose-only samples give the branch no gradient."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from alphapose_ros.core.reid.pose_guided import MapsAndFeatures, PoseGuidedReID, backbone_channels
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
    """FastPose-50 giving maps and backbone features in one pass, and the re-ID branch on those features (the
    paper's shared-backbone variant, as joint training builds it)."""
    from alphapose_ros.core.models.fastpose import FastPose

    torch.manual_seed(0)
    pose = FastPose(17, 50, 128)
    return pose, MapsAndFeatures(pose), PoseGuidedReID(backbone_channels(pose), 17, num_identities=5)


def test_the_attention_weights_the_reid_map_as_eq_20_says():
    """m_wid = m_id * m_A + m_id: m_A = -1 cancels the map (the embedding is the fc bias alone), m_A = 0
    leaves it as it is (the embedding is plain pooling's)."""
    torch.manual_seed(0)
    branch = PoseGuidedReID(8, 3, embed_dim=4, reid_channels=6).eval()
    feats, maps = torch.rand(2, 8, 8, 6), torch.rand(2, 3, 32, 24)
    with torch.no_grad():
        branch.attention.weight.zero_()
        branch.attention.bias.fill_(-1.0)
        cancelled, _ = branch(feats, maps)
        branch.attention.bias.zero_()
        kept, _ = branch(feats, maps)
        plain = F.normalize(branch.fc(branch.reduce(feats).mean((2, 3))), dim=1)
    torch.testing.assert_close(cancelled, F.normalize(branch.fc.bias.expand(2, -1), dim=1))
    torch.testing.assert_close(kept, plain)


def test_branch_rides_on_fastpose_backbone_leaving_its_keypoint_maps_as_they_are(fastpose_reid):
    pose, both, branch = fastpose_reid
    pose.eval()
    branch.eval()
    x = torch.rand(2, 3, 256, 192)
    with torch.no_grad():
        maps, features = both(x)
        emb, logits = branch(features, maps)
        alone = pose(x)  # the pose network run on its own
    torch.testing.assert_close(maps, alone, rtol=0, atol=0)
    assert features.shape == (2, 2048, 8, 6) and emb.shape == (2, 128) and logits.shape == (2, 5)
    torch.testing.assert_close(emb.norm(dim=1), torch.ones(2))


def test_pose_only_samples_give_the_reid_branch_no_gradient(fastpose_reid):
    pose, both, branch = fastpose_reid
    pose.train()
    branch.train()
    balance = UncertaintyBalance()
    x = torch.rand(2, 3, 256, 192)
    for ids, reid_grad in ((torch.tensor([-1, -1]), False), (torch.tensor([0, 3]), True)):
        pose.zero_grad()
        branch.zero_grad()
        maps, features = both(x)
        _, logits = branch(features, maps)
        loss = balance(maps.pow(2).mean(), identity_loss(logits, ids))
        loss.backward()
        g = branch.fc.weight.grad
        assert (g is not None and bool(g.abs().sum() > 0)) == reid_grad
        assert pose.conv_out.weight.grad.abs().sum() > 0
