"""The estimator: batching does not change results; empty input; flip; bad arguments."""
import numpy as np
import pytest
import torch

from alphapose_ros.core.pose.estimator import PoseEstimator
from alphapose_ros.core.models.config import build_model, parse_config


def _cfg(k=26, head="L1JointRegression", dataset="Halpe_26"):
    return parse_config({"MODEL": {"TYPE": "FastPose", "NUM_LAYERS": 50, "CONV_DIM": 128},
                         "DATA_PRESET": {"NUM_JOINTS": k}, "LOSS": {"TYPE": head, "NORM_TYPE": "sigmoid"},
                         "DATASET": {"TRAIN": {"TYPE": dataset}}})


@pytest.fixture(scope="module")
def estimator():
    torch.manual_seed(0)
    cfg = _cfg()
    return PoseEstimator(cfg, build_model(cfg), batch_size=2)


def test_batch_size_does_not_change_results(estimator):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)
    boxes = np.array([[10, 10, 60, 110], [50, 20, 150, 100], [0, 0, 159, 119]], np.float32)
    a = estimator(img, boxes)
    estimator.batch_size = 32
    b = estimator(img, boxes)
    estimator.batch_size = 2
    np.testing.assert_allclose(a.keypoints, b.keypoints, atol=1e-3)
    assert a.keypoints.shape == (3, 26, 2) and a.keypoint_scores.shape == (3, 26)
    np.testing.assert_allclose(a.pose_scores, a.keypoint_scores.mean(1))
    # SIKR keypoints always lie inside the padded crop box
    cb = a.cropped_boxes[:, None]
    assert np.all((a.keypoints[..., 0] >= cb[..., 0] - 1e-3) & (a.keypoints[..., 0] <= cb[..., 2] + 1e-3))


def test_empty_box_list_gives_empty_arrays(estimator):
    out = estimator(np.zeros((10, 10, 3), np.uint8), np.zeros((0, 4)))
    assert out.keypoints.shape == (0, 26, 2) and out.keypoint_scores.shape == (0, 26)


def test_flip_test_merges_the_mirrored_crop_pass(estimator):
    from alphapose_ros.core.codecs.decode import decode_to_image
    from alphapose_ros.core.codecs.flip import merge_flipped
    from alphapose_ros.core.pose.crop import crop_batch

    rng = np.random.default_rng(1)
    img = rng.integers(0, 255, (128, 96, 3), dtype=np.uint8)
    box = np.array([[5, 5, 90, 120]], np.float32)
    estimator.flip = True
    try:
        out = estimator(img, box)
    finally:
        estimator.flip = False
    crops, cropped = crop_batch(img, box)
    x = torch.from_numpy(crops)
    with torch.no_grad():
        merged = merge_flipped(estimator.model(x), estimator.model(x.flip(-1)), estimator.format.flip_permutation())
    want, _ = decode_to_image(merged, cropped, "integral")
    np.testing.assert_allclose(out.keypoints, want, atol=1e-3)
    assert not np.allclose(out.keypoint_scores, estimator(img, box).keypoint_scores, rtol=0, atol=1e-5)


def test_fp16_on_cpu_is_refused():
    cfg = _cfg(17, "MSELoss", "Mscoco")
    with pytest.raises(ValueError, match="CUDA"):
        PoseEstimator(cfg, build_model(cfg), half=True)


def test_torchscript_estimator_matches_eager_for_other_batch_sizes():
    torch.manual_seed(3)
    cfg = _cfg(17, "MSELoss", "Mscoco")
    model = build_model(cfg)
    eager = PoseEstimator(cfg, model, batch_size=8)
    traced = PoseEstimator(cfg, model, batch_size=8, torchscript=True)
    rng = np.random.default_rng(4)
    img = rng.integers(0, 255, (200, 200, 3), dtype=np.uint8)
    boxes = np.array([[10, 10, 80, 190], [60, 20, 150, 180], [0, 0, 199, 199], [30, 40, 90, 100], [5, 5, 50, 50]],
                     np.float32)
    a, b = eager(img, boxes), traced(img, boxes)
    np.testing.assert_allclose(a.keypoints, b.keypoints, atol=1e-3)
    np.testing.assert_allclose(a.keypoint_scores, b.keypoint_scores, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("flip", [False, True])
def test_batches_padded_to_powers_of_two_give_the_exact_batches_keypoints(flip):
    """The CUDA path pads 3 crops to 4 (and warms each padded size up front); the padding never reaches the
    people's keypoints, flipped or not (checked here on CPU tensors)."""
    from alphapose_ros.core.pose.estimator import batch_bucket

    assert [batch_bucket(n, 8) for n in (1, 2, 3, 5, 8, 9)] == [1, 2, 4, 8, 8, 8]
    assert batch_bucket(40, 48) == 48
    torch.manual_seed(0)
    cfg = _cfg()
    model = build_model(cfg).eval()
    exact = PoseEstimator(cfg, model, batch_size=8, flip=flip, pad_batches=False)
    padded = PoseEstimator(cfg, model, batch_size=8, flip=flip, pad_batches=True)
    seen = []
    model.register_forward_hook(lambda mod, inp, out: seen.append(len(inp[0])))
    img = np.random.default_rng(1).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    boxes = np.array([[10, 10, 60, 110], [50, 20, 150, 100], [0, 0, 159, 119]], np.float32)
    a, b = exact(img, boxes), padded(img, boxes)
    assert seen == [3 * (1 + flip), 4 * (1 + flip)]
    np.testing.assert_allclose(a.keypoints, b.keypoints, atol=1e-4)
    np.testing.assert_allclose(a.keypoint_scores, b.keypoint_scores, atol=1e-5)
