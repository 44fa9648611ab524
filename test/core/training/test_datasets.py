"""COCO-format datasets: keypoints mapped between formats by name, written and read back,
and batches mixed at fixed ratios that depend only on (seed, step)."""
import numpy as np
import pytest

from alphapose_ros.core.skeletons import get_format
from alphapose_ros.core.training.datasets import DatasetWriter, KeypointDataset, MixedBatches, keypoint_map, map_keypoints


def test_wholebody_feet_map_onto_halpe_feet_by_name_not_position():
    idx = keypoint_map(get_format("coco_wholebody_133"), get_format("halpe_136"))
    halpe, wb = get_format("halpe_136").names, get_format("coco_wholebody_133").names
    assert [wb[i] for i in idx[20:26]] == list(halpe[20:26])
    assert (idx[17:20] == -1).all()  # head, neck, hip: COCO-WholeBody has none
    assert [wb[i] for i in idx[26:]] == list(halpe[26:])


def test_missing_keypoints_become_unlabelled():
    kps = np.random.default_rng(0).uniform(1, 50, (2, 17, 3)).astype(np.float32)
    kps[..., 2] = 2
    out = map_keypoints(kps, get_format("coco_17"), get_format("halpe_26"))
    assert np.array_equal(out[:, :17], kps) and (out[:, 17:, 2] == 0).all()


def test_written_dataset_reads_back_in_another_format(tmp_path):
    w = DatasetWriter(tmp_path / "d", get_format("halpe_136"))
    kp = np.zeros((136, 3))
    kp[:, :2] = np.arange(272).reshape(136, 2) % 90
    kp[:, 2] = 2
    kp[100, 2] = 0
    w.add(np.zeros((100, 120, 3), np.uint8), [{"keypoints": kp, "bbox": [5, 6, 40, 80], "area": 900.0}])
    w.close()
    ds = KeypointDataset(tmp_path / "d", "halpe_26")
    assert len(ds) == 1 and ds.samples[0].keypoints.shape == (26, 3)
    np.testing.assert_allclose(ds.samples[0].keypoints[:, :2], kp[:26, :2], atol=0.01)
    np.testing.assert_allclose(ds.samples[0].box, [5, 6, 45, 86])
    gt = ds.ground_truth()
    assert len(gt["annotations"][0]["keypoints"]) == 78 and gt["categories"][0]["keypoints"][17] == "head"


def test_batches_mix_datasets_at_fixed_ratios_and_repeat_for_the_same_step():
    mb = MixedBatches([100, 7], [0.75, 0.25], batch_size=16, seed=3)
    b = mb.batch(5)
    assert [d for d, _, _ in b].count(0) == 12 and [d for d, _, _ in b].count(1) == 4
    assert all(i < (100 if d == 0 else 7) for d, i, _ in b)
    assert mb.batch(5) == b and mb.batch(6) != b
    with pytest.raises(ValueError):
        MixedBatches([10, 0], [1, 1], 4)
