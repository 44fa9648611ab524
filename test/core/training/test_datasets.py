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


def test_part_only_people_keep_one_parts_labels_with_its_tight_box():
    from alphapose_ros.core.skeletons import get_format
    from alphapose_ros.core.training.datasets import only_part

    fmt = get_format("halpe_136")
    k = np.zeros((136, 3))
    k[:, 0] = np.arange(136) + 100.0
    k[:, 1] = 2 * np.arange(136) + 50.0
    k[:, 2] = 2
    k[100, 2] = 0  # one left-hand keypoint unlabelled
    person = {"keypoints": k, "bbox": [90.0, 40.0, 200.0, 300.0], "area": 60000.0}
    body = only_part([person], fmt, "body")
    assert len(body) == 1 and body[0]["bbox"] == person["bbox"]
    assert (body[0]["keypoints"][:26, 2] > 0).all() and (body[0]["keypoints"][26:, 2] == 0).all()
    (face,) = only_part([person], fmt, "face")
    assert face["bbox"] == [126.0, 102.0, 67.0, 134.0] and (face["keypoints"][26:94, 2] > 0).sum() == 68
    left, right = only_part([person], fmt, "hands")
    assert (left["keypoints"][:, 2] > 0).sum() == 20 and (right["keypoints"][115:, 2] > 0).all()
    assert right["bbox"] == [215.0, 280.0, 20.0, 40.0]
    with pytest.raises(ValueError, match="feet"):
        only_part([person], fmt, "feet")


def test_part_ap_scores_one_part_and_ignores_people_without_it():
    from alphapose_ros.core.training.evaluate import part_stats
    from alphapose_ros.core.training.evaluate_pose import body_parts

    fmt = get_format("halpe_136")
    rng = np.random.default_rng(0)
    gt_k = np.zeros((2, 136, 3))
    gt_k[..., 0] = rng.uniform(50, 150, (2, 136))
    gt_k[..., 1] = rng.uniform(50, 250, (2, 136))
    gt_k[..., 2] = 2
    gt_k[1, 26:, 2] = 0  # the second person has body labels only
    gt = {"images": [{"id": 1, "width": 400, "height": 400}], "categories": [{"id": 1, "name": "person"}],
          "annotations": [{"id": i + 1, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": 20000.0,
                           "bbox": [50, 50, 100, 200], "keypoints": gt_k[i].reshape(-1).tolist(),
                           "num_keypoints": int((gt_k[i, :, 2] > 0).sum())} for i in range(2)]}
    res_k = gt_k.copy()
    res_k[..., 2] = 0.9
    res_k[0, 26:94, :2] += 30.0  # the face of person 1 is wrong, everything else exact
    results = [{"image_id": 1, "category_id": 1, "score": 1.0, "keypoints": res_k[i].reshape(-1).tolist()}
               for i in range(2)]
    parts = body_parts(fmt)
    assert set(parts) == {"body", "foot", "face", "hands"} and len(parts["hands"]) == 42
    assert part_stats(gt, results, fmt.oks_sigmas, parts["body"])["AP"] == pytest.approx(1.0)
    assert part_stats(gt, results, fmt.oks_sigmas, parts["hands"])["AP"] == pytest.approx(1.0)
    assert part_stats(gt, results, fmt.oks_sigmas, parts["face"])["AP"] == pytest.approx(0.0)
