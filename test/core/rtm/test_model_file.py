"""A bare ONNX file is told apart by its inputs/outputs alone, or refused with what it has and lacks."""
from __future__ import annotations

import pytest
import torch

from alphapose_ros.core.models.rtmpose import export_released_layout
from alphapose_ros.core.rtm.model_file import ModelFileError, inspect_onnx
from alphapose_ros.synthetic import released_layouts


def test_simcc_files_give_family_keypoints_input_size_and_split_ratio(tmp_path):
    spec = inspect_onnx(released_layouts.simcc_file(tmp_path / "m.onnx", 26, (384, 288)))
    assert (spec.family, spec.num_keypoints, spec.keypoint_format) == ("simcc", 26, "halpe_26")
    assert (spec.input_name, spec.input_hw, spec.batch, spec.split_ratio) == ("input", (384, 288), None, 2.0)
    assert spec.output_names == ("simcc_x", "simcc_y")


def test_detector_and_rtmo_files_are_recognised(tmp_path):
    det = inspect_onnx(released_layouts.detector_file(tmp_path / "d.onnx", (416, 416)))
    rtmo = inspect_onnx(released_layouts.rtmo_file(tmp_path / "r.onnx"))
    assert (det.family, det.input_hw, det.output_names) == ("detector", (416, 416), ("dets",))
    assert (rtmo.family, rtmo.num_keypoints, rtmo.output_names) == ("rtmo", 17, ("dets", "keypoints"))


class Heatmaps(torch.nn.Module):
    def forward(self, x):
        return torch.nn.functional.avg_pool2d(x, 4).repeat(1, 6, 1, 1)[:, :17]


def test_other_models_are_refused_naming_what_they_have(tmp_path):
    path = export_released_layout(Heatmaps(), tmp_path / "heatmap.onnx", (256, 192), names=("maps",))
    with pytest.raises(ModelFileError, match=r"not a model of the RTMPose family; it has .*maps .*expected a SimCC"):
        inspect_onnx(path)


def test_unknown_keypoint_counts_and_open_input_sizes_are_refused(tmp_path):
    with pytest.raises(ModelFileError, match="20 keypoints; this package knows 17"):
        inspect_onnx(released_layouts.simcc_file(tmp_path / "k20.onnx", 20))
    path = released_layouts.simcc_file(tmp_path / "open.onnx")
    import onnx

    m = onnx.load(str(path))
    m.graph.input[0].type.tensor_type.shape.dim[2].dim_param = "height"
    onnx.save(m, str(path))
    with pytest.raises(ModelFileError, match="height and width are not fixed"):
        inspect_onnx(path)


def test_files_that_are_not_onnx_are_refused(tmp_path):
    bad = tmp_path / "end2end.onnx"
    bad.write_bytes(b"\x00garbage" * 50)
    with pytest.raises(ModelFileError, match="not a readable ONNX file"):
        inspect_onnx(bad)
    with pytest.raises(ModelFileError, match="no such file"):
        inspect_onnx(tmp_path / "missing.onnx")


def test_degenerate_boxes_give_a_pose_each_without_raising(tmp_path, recwarn):
    import numpy as np

    from alphapose_ros.core.rtm.estimator import SimCCPoseEstimator

    est = SimCCPoseEstimator(inspect_onnx(released_layouts.simcc_file(tmp_path / "m.onnx")))
    boxes = np.array([[10, 10, 10, 10], [5, 5, 4, 4], [np.nan, 0, 5, 5], [0, 0, 1e9, 1e9]], np.float32)
    out = est(np.zeros((240, 320, 3), np.uint8), boxes)
    assert out.keypoints.shape == (4, 17, 2) and out.finite().tolist() == [True, True, False, True]
    assert not [w for w in recwarn.list if issubclass(w.category, RuntimeWarning)]
