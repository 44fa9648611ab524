"""NaN/Inf from the pose network (broken weights, fp16 overflow): those people are dropped,
said once, and the stream, pose NMS and the tracker keep working on the rest."""
import logging

import numpy as np
import pytest
import torch

from alphapose_ros.core.pose.estimator import PoseEstimator
from alphapose_ros.core.models.config import build_model, parse_config
from alphapose_ros.core.pipeline import Frame, FramePipeline, PoseNMSConfig, drop_non_finite
from alphapose_ros.core.nms.parametric import PoseNMSParams
from alphapose_ros.core.tracking.msim import MSIMTracker


@pytest.fixture(scope="module")
def estimator():
    torch.manual_seed(0)
    cfg = parse_config({"MODEL": {"TYPE": "FastPose", "NUM_LAYERS": 50},
                        "DATA_PRESET": {"NUM_JOINTS": 17, "IMAGE_SIZE": [64, 48], "HEATMAP_SIZE": [16, 12]},
                        "LOSS": {"TYPE": "MSELoss"}, "DATASET": {"TRAIN": {"TYPE": "Mscoco"}}})
    return PoseEstimator(cfg, build_model(cfg))


class PoisonRows:
    """The real estimator, with NaN/Inf written into the given people's outputs."""

    def __init__(self, est, rows):
        self.est, self.rows, self.format, self.head = est, rows, est.format, est.head

    def __call__(self, image, boxes):
        out = self.est(image, boxes)
        for r in self.rows:
            if r < len(out.keypoints):
                out.keypoints[r, 3] = np.nan
                out.keypoint_scores[r, 5] = np.inf
        return out


def _frames(n):
    img = np.full((240, 320, 3), 40, np.uint8)
    for k in range(n):
        boxes = np.array([[20 + 4 * k, 40, 80 + 4 * k, 200], [200 - 4 * k, 40, 260 - 4 * k, 200],
                          [120, 30, 170, 210]], np.float32)
        yield Frame(str(k), k / 30, img, boxes, np.array([0.9, 0.8, 0.7], np.float32))


def _pipe(est):
    nms = PoseNMSConfig("parametric", PoseNMSParams.for_layout(17, True, score_thresh=0.0))
    return FramePipeline(est, None, nms, MSIMTracker())


@pytest.mark.fault("non-finite-network")
def test_output_rows_with_nan_or_inf_are_dropped_with_their_boxes(estimator):
    out = PoisonRows(estimator, [0, 2])(np.zeros((100, 100, 3), np.uint8),
                                         np.array([[0, 0, 50, 90], [10, 10, 60, 95], [40, 5, 99, 99]], np.float32))
    boxes, scores, kept, n = drop_non_finite(np.arange(12, dtype=np.float32).reshape(3, 4), np.array([.9, .8, .7]), out)
    assert n == 2 and np.array_equal(boxes, [[4, 5, 6, 7]]) and np.allclose(scores, [.8])
    assert np.isfinite(kept.keypoints).all() and kept.keypoints.shape == (1, 17, 2)
    assert np.array_equal(kept.keypoints[0], out.keypoints[1])


@pytest.mark.fault("non-finite-network")
def test_a_person_with_nan_output_is_dropped_said_once_and_tracking_continues(estimator, caplog):
    with caplog.at_level(logging.WARNING, logger="alphapose_ros.core.pipeline"):
        items = list(_pipe(PoisonRows(estimator, [1])).run(_frames(6), concurrent=False))
    assert all(it.error is None for it in items)
    for it in items:
        p = it.data["poses"]
        assert it.data["non_finite"] == 1 and len(p) >= 1
        assert np.isfinite(p.keypoints).all() and np.isfinite(p.keypoint_scores).all() and (p.track_ids > 0).all()
    assert len([r for r in caplog.records if "NaN/Inf" in r.getMessage()]) == 1


@pytest.mark.fault("non-finite-network")
def test_a_model_that_outputs_only_nan_gives_empty_frames_not_a_crash(estimator):
    broken = PoseEstimator(estimator.cfg, build_model(estimator.cfg))
    with torch.no_grad():
        for prm in broken.model.parameters():
            prm.fill_(float("nan"))
    items = list(_pipe(broken).run(_frames(3), concurrent=False))
    assert [len(it.data["poses"]) for it in items] == [0, 0, 0]
    assert [it.data["non_finite"] for it in items] == [3, 3, 3]
