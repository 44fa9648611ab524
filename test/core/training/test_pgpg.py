"""Part-guided proposals: part classes from visibility, per-part fits that recover the
offset distribution, valid boxes, and a model that survives a round trip through YAML."""
import numpy as np
import pytest

from alphapose_ros.core.training.pgpg import PARTS, ProposalModel, offsets, part_of


def _vis(*ranges):
    v = np.zeros(26)
    for a, b in ranges:
        v[a:b] = 2
    return v


def test_part_class_follows_the_labelled_body_regions():
    assert part_of(_vis((0, 17))) == "whole"
    assert part_of(_vis((0, 11))) == "upper"
    assert part_of(_vis((11, 17))) == "lower"
    assert part_of(_vis((0, 5))) == "head"


def test_fit_recovers_each_parts_offset_distribution():
    rng = np.random.default_rng(0)
    gt = np.tile([100.0, 50.0, 200.0, 350.0], (4000, 1))
    parts = np.array(["whole", "upper"] * 2000)
    true_mean = {"whole": np.array([0.02, -0.05, 0.0, 0.1]), "upper": np.array([-0.1, 0.0, 0.1, -0.3])}
    off = np.stack([rng.normal(true_mean[p], 0.03) for p in parts])
    det = gt + off * np.array([100.0, 300.0, 100.0, 300.0])
    m = ProposalModel.fit(det, gt, list(parts))
    for p in ("whole", "upper"):
        np.testing.assert_allclose(m.mean[p], true_mean[p], atol=0.005)
        np.testing.assert_allclose(np.sqrt(np.diag(m.cov[p])), 0.03, atol=0.004)
    # parts without pairs borrow the pooled fit
    np.testing.assert_allclose(m.mean["lower"], offsets(det, gt).mean(0))
    again = ProposalModel.from_dict(m.to_dict())
    box = np.array([10.0, 10.0, 60.0, 150.0])
    assert np.array_equal(again.sample(box, "upper", np.random.default_rng(1)), m.sample(box, "upper", np.random.default_rng(1)))


@pytest.mark.parametrize("model", [ProposalModel(), ProposalModel(kind="gaussian", mean={p: np.array([0, 0, -2.0, -2.0]) for p in PARTS},
                                                                  cov={p: np.eye(4) * 1e-4 for p in PARTS})])
def test_sampled_boxes_stay_valid(model):
    rng = np.random.default_rng(0)
    box = np.array([10.0, 20.0, 50.0, 140.0])
    for _ in range(50):
        b = model.sample(box, "whole", rng)
        assert b[2] > b[0] and b[3] > b[1]
    if model.kind == "uniform":
        assert np.all(np.abs(offsets(b[None].astype(float), box[None])) <= 0.1 + 1e-6)
