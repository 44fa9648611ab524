"""YOLOX: architecture sizes against the published model table, checkpoint layout and
loading, pre-processing, and decoding tested by construction through the resize and back."""
import json
import math

import numpy as np
import pytest
import torch
from conftest import dequantise

from alphapose_ros.core.pose.checkpoints import CheckpointError, describe_state_dict
from alphapose_ros.core.detectors.yolox import (PAD_VALUE, YoloxDetector, YoloxSettings, decode, filter_rows,
                                                preprocess, variant_of)
from alphapose_ros.core.detectors.yolox_net import VARIANTS, YoloxNet

# parameter counts (millions) in the YOLOX release's model table
PUBLISHED_PARAMS_M = {"yolox-nano": 0.91, "yolox-tiny": 5.06, "yolox-s": 9.0, "yolox-m": 25.3,
                      "yolox-l": 54.2, "yolox-x": 99.1}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_every_variant_has_the_published_parameter_count(name):
    n = sum(p.numel() for p in YoloxNet(name).parameters()) / 1e6
    digits = 2 if n < 8 else 1
    assert round(n, digits) == PUBLISHED_PARAMS_M[name], n


def test_key_layout_follows_the_release_checkpoints():
    s = YoloxNet("yolox-s").state_dict()
    assert tuple(s["backbone.backbone.stem.conv.conv.weight"].shape) == (32, 12, 3, 3)
    assert tuple(s["backbone.backbone.dark5.1.conv2.conv.weight"].shape) == (512, 1024, 1, 1)  # SPP
    assert tuple(s["head.cls_preds.2.weight"].shape) == (80, 128, 1, 1)
    assert tuple(s["head.obj_preds.0.bias"].shape) == (1,)
    assert "backbone.C3_n4.m.0.conv2.conv.weight" in s
    nano = YoloxNet("yolox-nano").state_dict()
    assert "head.reg_convs.0.0.dconv.bn.running_var" in nano and "backbone.bu_conv1.pconv.conv.weight" in nano
    assert all(m.eps == 1e-3 for m in YoloxNet("yolox-nano").modules() if isinstance(m, torch.nn.BatchNorm2d))


def test_head_outputs_three_levels_with_probabilities():
    net = YoloxNet("yolox-nano").eval()
    with torch.no_grad():
        outs = net(torch.rand(2, 3, 256, 320) * 255)
    assert [tuple(o.shape) for o in outs] == [(2, 85, 32, 40), (2, 85, 16, 20), (2, 85, 8, 10)]
    probs = torch.cat([o[:, 4:].flatten() for o in outs])
    assert probs.min() >= 0 and probs.max() <= 1


def test_variant_is_recognised_from_a_state_dict():
    for name in VARIANTS:
        assert variant_of(YoloxNet(name).state_dict()) == name
    assert variant_of({"conv_out.weight": torch.zeros(1)}) is None


def test_preprocess_pastes_top_left_on_grey_114_without_normalising():
    img = np.zeros((100, 200, 3), np.uint8)
    img[..., 0] = 10  # B
    img[..., 2] = 200  # R
    x, r = preprocess(img, 640)
    assert r == pytest.approx(3.2) and x.shape == (3, 640, 640) and x.dtype == np.float32
    assert (x[:, :320, :] == np.array([10, 0, 200], np.float32)[:, None, None]).all()  # BGR kept, 0-255
    assert (x[:, 320:, :] == PAD_VALUE).all()


def _raw_levels(inp: int, cells: list[tuple[int, float, float, float, float, float, int, float]]):
    """Head outputs with everything off except the given cells:
    (level, cx, cy, w, h, objectness, class, class score) in input pixels."""
    levels = [torch.zeros(1, 85, inp // s, inp // s) for s in YoloxNet.strides]
    for lvl, cx, cy, w, h, obj, cls, score in cells:
        s = YoloxNet.strides[lvl]
        gx, gy = int(cx // s), int(cy // s)
        o = levels[lvl][0, :, gy, gx]
        o[0], o[1] = float(cx / s - gx), float(cy / s - gy)
        o[2], o[3] = math.log(float(w) / s), math.log(float(h) / s)
        o[4] = obj
        o[5 + cls] = score
    return levels


def test_decode_places_a_box_at_its_cell_and_stride():
    rows = decode(_raw_levels(640, [(1, 88.0, 52.0, 64.0, 128.0, 0.9, 0, 0.8)]))[0].numpy()
    boxes, obj = filter_rows(rows, YoloxSettings())
    np.testing.assert_allclose(boxes, [[56, -12, 120, 116]], atol=1e-4)
    np.testing.assert_allclose(obj, [0.9], rtol=1e-6)


def test_filter_keeps_only_best_class_person_above_the_product_threshold():
    cells = [(0, 100, 100, 40, 80, 0.5, 0, 0.2),     # 0.5 * 0.2 = 0.1: kept (>=)
             (0, 300, 100, 40, 80, 0.5, 0, 0.19),    # 0.095: dropped
             (2, 400, 400, 100, 200, 0.9, 2, 0.95)]  # best class is a car: dropped
    levels = _raw_levels(640, cells)
    levels[2][0, 5, 400 // 32, 400 // 32] = 0.5  # ... even with a fair person score
    boxes, obj = filter_rows(decode(levels)[0].numpy(), YoloxSettings())
    np.testing.assert_allclose(boxes, [[80, 60, 120, 140]], atol=1e-4)


def test_overlapping_duplicates_are_suppressed_and_distinct_people_kept():
    cells = [(0, 100, 200, 60, 120, 0.9, 0, 1.0), (0, 108, 200, 60, 120, 0.6, 0, 1.0),
             (1, 400, 200, 60, 120, 0.7, 0, 1.0)]
    boxes, obj = filter_rows(decode(_raw_levels(640, cells))[0].numpy(), YoloxSettings())
    np.testing.assert_allclose(obj, [0.9, 0.7], rtol=1e-6)


def test_soft_nms_keeps_the_overlapping_box_with_a_decayed_score():
    """Two people standing close (IoU 0.76 here) both survive soft-NMS, the second scored
    0.6 x exp(-IoU^2 / 0.5); hard NMS (the default, AlphaPose's) keeps only the first."""
    from alphapose_ros.core.detectors.nms import iou_one_to_many

    cells = [(0, 100, 200, 60, 120, 0.9, 0, 1.0), (0, 108, 200, 60, 120, 0.6, 0, 1.0)]
    rows = decode(_raw_levels(640, cells))[0].numpy()
    hard_boxes, hard = filter_rows(rows, YoloxSettings())
    soft_boxes, soft = filter_rows(rows, YoloxSettings(box_nms="soft"))
    iou = iou_one_to_many(soft_boxes[0], soft_boxes[1:])[0]
    assert len(hard) == 1 and len(soft) == 2 and iou > 0.6
    np.testing.assert_allclose(soft, [0.9, 0.6 * np.exp(-iou ** 2 / 0.5)], rtol=1e-5)
    with pytest.raises(ValueError, match="unknown box NMS"):
        filter_rows(rows, YoloxSettings(box_nms="fuzzy"))


class _Fixed(torch.nn.Module):
    """Stands in for the network: returns prepared head outputs."""

    def __init__(self, levels):
        super().__init__()
        self.levels = levels

    def forward(self, x):
        return [lv.expand(x.shape[0], -1, -1, -1) for lv in self.levels]


@pytest.mark.parametrize("wh", [(640, 480), (768, 576), (320, 640), (1920, 1080), (333, 777)])
def test_known_boxes_come_back_in_image_coordinates(wh):
    w, h = wh
    target = np.array([[0.2 * w, 0.3 * h, 0.45 * w, 0.9 * h], [0.6 * w, 0.1 * h, 0.7 * w, 0.5 * h]], np.float32)
    det = YoloxDetector("yolox-nano", None)
    r = min(640 / w, 640 / h)
    cells = []
    for (x1, y1, x2, y2), obj in zip(target * r, (0.8, 0.6)):
        cells.append((1, (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1, obj, 0, 0.9))
    det.net = _Fixed(_raw_levels(640, cells))
    d = det.detect([np.zeros((h, w, 3), np.uint8)])[0]
    np.testing.assert_allclose(d.boxes, target, rtol=1e-4, atol=1e-2)
    np.testing.assert_allclose(d.scores, [0.8, 0.6], rtol=1e-6)
    assert (d.classes == 0).all()


@pytest.mark.parametrize("name", list(VARIANTS))
def test_state_dict_is_the_upstream_layout_key_for_key(reference, name):
    layout = json.loads((reference / f"checkpoints/{name.replace('-', '_')}.json").read_text())
    got = {k: list(v.shape) for k, v in YoloxNet(name).state_dict().items()}
    assert got == {k: v["shape"] for k, v in layout["state_dict"].items()}
    assert sum(p.numel() for p in YoloxNet(name).parameters()) == layout["num_parameters"]


@pytest.fixture(scope="module")
def nano_release(reference, tmp_path_factory):
    """The upstream run's YOLOX-nano weights saved as a release checkpoint (state_dict under "model"),
    and the recorded inputs/outputs of that run."""
    ref = torch.load(reference / "vectors/third_party/yolox_nano_weights_int8.pt", weights_only=True)
    path = tmp_path_factory.mktemp("yolox") / "yolox_nano.pth"
    torch.save({"start_epoch": 300, "model": dequantise(ref)}, path)
    return path, np.load(reference / "vectors/third_party/yolox_nano_io.npz")


def test_preprocess_matches_upstream_val_transform(nano_release):
    _, io = nano_release
    for i in (0, 1):
        x, r = preprocess(io[f"in_image{i}_bgr_uint8"], 416)
        np.testing.assert_array_equal(x, io["in_batch"][i])
        assert r == pytest.approx(io["param_ratio"][i])


def test_release_checkpoint_reproduces_the_upstream_forward_and_decoding(nano_release):
    path, io = nano_release
    det = YoloxDetector("yolox-nano", path)
    x = torch.from_numpy(io["in_batch"])
    with torch.no_grad():
        got = det.predictions(x).numpy()
        raw = torch.cat([lv.flatten(2) for lv in det.net(x)], 2).permute(0, 2, 1).numpy()
    want = io["out_decoded"]
    np.testing.assert_allclose(got[..., :4], want[..., :4], rtol=1e-4, atol=0.02)  # boxes, input pixels
    np.testing.assert_allclose(got[..., 4:], want[..., 4:], atol=5e-4)  # objectness and class scores
    np.testing.assert_allclose(raw[..., :4], io["out_raw_undecoded_reg"], rtol=1e-3, atol=1e-3)


def test_person_boxes_are_upstream_postprocess_class_0_rows(nano_release):
    """With conf 0.1 and NMS 0.6 (AlphaPose's setting), per-class NMS keeps exactly the person rows a
    person-only detector must return; compared as sets (unrelated scores can nearly tie)."""
    _, io = nano_release
    for i in (0, 1):
        boxes, obj = filter_rows(io["out_decoded"][i].astype(np.float32), YoloxSettings(inp_dim=416))
        want = io[f"out_postprocess_nms0.6_img{i}"]
        want = want[want[:, 6] == 0]
        assert len(boxes) == len(want) > 0
        o_got, o_want = np.lexsort(boxes.T[::-1]), np.lexsort(want[:, :4].T[::-1])
        np.testing.assert_allclose(boxes[o_got], want[o_want, :4], rtol=1e-5, atol=1e-3)
        np.testing.assert_allclose(obj[o_got], want[o_want, 4], atol=1e-6)


def test_wrong_variant_checkpoint_is_refused_naming_the_right_one(tmp_path):
    path = tmp_path / "yolox_tiny.pth"
    torch.save({"model": YoloxNet("yolox-tiny").state_dict()}, path)
    with pytest.raises(CheckpointError, match="the file is yolox-tiny"):
        YoloxDetector("yolox-s", path)
    with pytest.raises(ValueError, match="unknown YOLOX variant"):
        YoloxDetector("yolox-huge", None)


def test_a_yolox_file_given_as_a_pose_model_is_named():
    assert "YOLOX" in describe_state_dict(YoloxNet("yolox-nano").state_dict())


def test_empty_batch_and_blank_image():
    det = YoloxDetector("yolox-nano", None)
    assert det.detect([]) == []
    d = det.detect([np.full((240, 320, 3), 114, np.uint8)])[0]
    assert d.boxes.shape[1] == 4 and len(d.boxes) == len(d.scores)
