"""Part-guided proposals: part classes from visibility (face-only and hand-only people too), per-part
mixtures that recover the offset distribution (two modes when there are two), RMPE's atomic poses, valid
boxes, and a model that survives a round trip through YAML."""
import numpy as np
import pytest

from alphapose_ros.core.skeletons import get_format
from alphapose_ros.core.training.pgpg import (PARTS, ProposalModel, atomic_poses, fit_mixture, nearest_atom, offsets,
                                              part_of, pose_features)


def _vis(*ranges, k=26):
    v = np.zeros(k)
    for a, b in ranges:
        v[a:b] = 2
    return v


def test_part_class_follows_the_labelled_body_regions():
    assert part_of(_vis((0, 17))) == "whole"
    assert part_of(_vis((0, 11))) == "upper"
    assert part_of(_vis((11, 17))) == "lower"
    assert part_of(_vis((0, 5))) == "head"
    fmt = get_format("halpe_136")
    face, hand = fmt.part_slice("face"), fmt.part_slice("left_hand")
    assert part_of(_vis((face.start, face.stop), k=136), fmt) == "face"
    assert part_of(_vis((hand.start, hand.stop), k=136), fmt) == "hand"
    assert part_of(_vis((0, 17), (face.start, face.stop), k=136), fmt) == "whole"


def test_fit_recovers_each_parts_offset_distribution_and_both_modes_of_a_bimodal_one():
    rng = np.random.default_rng(0)
    gt = np.tile([100.0, 50.0, 200.0, 350.0], (4000, 1))
    parts = np.array(["whole", "upper"] * 2000)
    true_mean = {"whole": np.array([0.02, -0.05, 0.0, 0.1]), "upper": np.array([-0.1, 0.0, 0.1, -0.3])}
    off = np.stack([rng.normal(true_mean[p], 0.03) for p in parts])
    # half the upper-body boxes are cut at the waist by the detector, half reach the knees: two modes
    upper = parts == "upper"
    off[upper, 3] += np.where(rng.random(upper.sum()) < 0.5, -0.2, 0.2)
    det = gt + off * np.array([100.0, 300.0, 100.0, 300.0])
    m = ProposalModel.fit(det, gt, list(parts), components=2)
    w, mu = m.weights["whole"], m.means["whole"]
    np.testing.assert_allclose((w[:, None] * mu).sum(0), true_mean["whole"], atol=0.005)
    bottoms = np.sort(m.means["upper"][:, 3])
    np.testing.assert_allclose(bottoms, [-0.5, -0.1], atol=0.01)
    np.testing.assert_allclose(np.sqrt(m.covs["upper"][:, 3, 3]), 0.03, atol=0.005)
    np.testing.assert_allclose(m.weights["upper"], 0.5, atol=0.03)
    assert np.allclose(m.means["face"], m.means["lower"])  # parts without pairs borrow the pooled fit
    again = ProposalModel.from_dict(m.to_dict())
    box = np.array([10.0, 10.0, 60.0, 150.0])
    assert np.array_equal(again.sample(box, "upper", np.random.default_rng(1)),
                          m.sample(box, "upper", np.random.default_rng(1)))


def test_em_on_one_gaussian_gives_its_mean_and_covariance():
    rng = np.random.default_rng(3)
    x = rng.multivariate_normal([0.1, -0.2, 0.0, 0.05], np.diag([0.01, 0.02, 0.005, 0.01]), 3000)
    w, mu, cov = fit_mixture(x, 1, rng)
    np.testing.assert_allclose(mu[0], x.mean(0), atol=1e-9)
    np.testing.assert_allclose(cov[0], np.cov(x.T, bias=True) + 1e-5 * np.eye(4), atol=1e-9)


def test_atomic_poses_separate_standing_and_arms_up_and_condition_the_offsets():
    rng = np.random.default_rng(0)
    base = np.zeros((17, 3))
    base[:, 2] = 2
    base[:, :2] = [[0, -70], [-3, -73], [3, -73], [-6, -71], [6, -71], [-15, -50], [15, -50], [-18, -25],
                   [18, -25], [-19, 0], [19, 0], [-8, 0], [8, 0], [-8, 40], [8, 40], [-8, 80], [8, 80]]
    up = base.copy()
    up[7:11, 1] = [-75, -75, -100, -100]
    kps = np.stack([(up if i % 2 else base) + np.r_[rng.normal(0, 1.0, (17, 2)).T, np.zeros((1, 17))].T
                    for i in range(400)])
    f, mask = pose_features(kps)
    atoms = atomic_poses(f, mask, 2, rng)
    lab = nearest_atom(f, mask, atoms)
    assert len(set(lab[::2])) == 1 and len(set(lab[1::2])) == 1 and lab[0] != lab[1]
    gt = np.tile([0.0, 0.0, 100.0, 200.0], (400, 1))
    off = np.where(np.arange(400)[:, None] % 2, [0, -0.3, 0, 0], [0, 0.1, 0, 0]) + rng.normal(0, 0.01, (400, 4))
    m = ProposalModel.fit(gt + off * [100, 200, 100, 200], gt, ["whole"] * 400, components=1, keypoints=kps, atoms=2)
    b = m.sample(np.array([0.0, 0.0, 100.0, 200.0]), "whole", np.random.default_rng(0), kps[1])
    assert b[1] == pytest.approx(-60, abs=10)  # the arms-up atom's boxes reach higher
    again = ProposalModel.from_dict(m.to_dict())
    assert np.array_equal(again.atoms, m.atoms)
    with pytest.raises(ValueError, match="keypoints"):
        m.sample(np.array([0.0, 0.0, 100.0, 200.0]), "whole", np.random.default_rng(0))


@pytest.mark.parametrize("model", [
    ProposalModel(),
    ProposalModel(kind="mixture", weights={p: np.ones(1) for p in PARTS},
                  means={p: np.array([[0, 0, -2.0, -2.0]]) for p in PARTS},
                  covs={p: np.eye(4)[None] * 1e-4 for p in PARTS})])
def test_sampled_boxes_stay_valid(model):
    rng = np.random.default_rng(0)
    box = np.array([10.0, 20.0, 50.0, 140.0])
    for _ in range(50):
        b = model.sample(box, "whole", rng)
        assert b[2] > b[0] and b[3] > b[1]
    if model.kind == "uniform":
        assert np.all(np.abs(offsets(b[None].astype(float), box[None])) <= 0.1 + 1e-6)


def test_a_model_file_without_some_parts_distributions_is_refused():
    d = ProposalModel(kind="mixture", weights={"whole": np.ones(1)}, means={"whole": np.zeros((1, 4))},
                      covs={"whole": np.eye(4)[None]}).to_dict()
    with pytest.raises(ValueError, match="upper"):
        ProposalModel.from_dict(d)
    with pytest.raises(ValueError, match="gaussian"):
        ProposalModel.from_dict({"kind": "gaussian"})
