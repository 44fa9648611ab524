"""YOLOv3-SPP: cfg/weights layout, head decoding, filtering and letterbox vs AlphaPose's vectors,
and decoding tested by construction through letterbox and back."""
import json

import numpy as np
import pytest
import torch

from alphapose_ros.core.detectors.darknet import Darknet, DarknetError, decode_yolo_output, parse_cfg
from alphapose_ros.core.detectors.yolov3 import (YoloSettings, filter_predictions, letterbox, unletterbox)

pytestmark = pytest.mark.reference
V = "vectors/detection_and_oks"


@pytest.fixture(scope="module")
def net(alphapose_files):
    return Darknet(parse_cfg((alphapose_files / "user-files/detector/yolov3-spp.cfg").read_text()))


def test_layers_and_weight_count_match_the_official_layout(reference, net):
    layout = json.loads((reference / "checkpoints/yolov3-spp_darknet.json").read_text())
    assert len(net.blocks) == layout["num_layers"] == 114
    for i, (b, ref) in enumerate(zip(net.blocks, layout["layers"])):
        assert b["type"] == ref["type"]
        if ref["type"] == "convolutional":
            assert net.layers[i].conv.in_channels == ref["in_channels"]
            assert net.layers[i].num_values() == ref["n_float32_from_weights_file"]
    assert net.num_weight_values() == layout["total_float32_values"] == 63_052_381
    assert [y["index"] for y in net.yolo] == layout["yolo_layer_indices"]


def test_weights_file_of_exact_size_loads_and_wrong_size_is_refused(net, tmp_path):
    good = tmp_path / "yolov3-spp.weights"
    with open(good, "wb") as f:
        f.truncate(252_209_544)  # sparse: header + 63,052,381 zero floats
    net.load_weights(good)
    assert float(net.layers[0].bn.running_var.abs().sum()) == 0.0
    bad = tmp_path / "short.weights"
    with open(bad, "wb") as f:
        f.truncate(252_209_544 - 4)
    with pytest.raises(DarknetError, match="needs exactly 63052381"):
        net.load_weights(bad)


def test_weights_round_trip_in_darknet_order(tmp_path):
    cfg = "[net]\nchannels=3\n[convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\nstride=1\npad=1\nactivation=leaky\n" \
          "[convolutional]\nfilters=6\nsize=1\nstride=1\npad=1\nactivation=linear\n"
    a, b = Darknet(parse_cfg(cfg)), Darknet(parse_cfg(cfg))
    torch.manual_seed(0)
    for p in a.parameters():
        p.data.normal_()
    a.layers[0].bn.running_mean.normal_()
    a.save_weights(tmp_path / "w")
    b.load_weights(tmp_path / "w")
    for k, v in a.state_dict().items():
        assert torch.equal(v, b.state_dict()[k]), k


def test_head_decoding_matches_predict_transform(reference):
    d = np.load(reference / V / "yolo_predict_transform.npz")
    outs = []
    for i in range(3):
        out = decode_yolo_output(torch.from_numpy(d[f"in_raw_scale{i}"]), d[f"param_anchors_scale{i}"].tolist(),
                                 int(d["param_inp_dim"]), 80)
        np.testing.assert_allclose(out.numpy(), d[f"out_pred_scale{i}"], rtol=1e-5, atol=1e-4)
        outs.append(out)
    np.testing.assert_allclose(torch.cat(outs, 1).numpy(), d["out_pred_concat"], rtol=1e-5, atol=1e-4)


def _rows(alpha_rows, image):
    return alpha_rows[alpha_rows[:, 0] == image][:, 1:]


def _canonical(rows):
    """Rows sorted by (-score, x1, y1): AlphaPose's unstable sort orders exact score ties arbitrarily."""
    return rows[np.lexsort((rows[:, 1], rows[:, 0], -rows[:, 4]))]


@pytest.mark.parametrize("case,dynamic", [("batch2", False), ("batch2", True), ("crowd130", False),
                                          ("crowd130", True)])
def test_filtering_and_nms_match_write_results(reference, case, dynamic):
    d = np.load(reference / V / "yolo_write_results.npz")
    s = YoloSettings(confidence=float(d["param_confidence"]), nms_thresh=float(d["param_nms_thres"]),
                     max_boxes=100 if dynamic else 10 ** 9)
    got = filter_predictions(torch.from_numpy(d[f"{case}_in_prediction"]), s)
    want = d[f"{case}_out_{'dynamic_' if dynamic else ''}write_results"]
    for i, rows in enumerate(got):
        np.testing.assert_allclose(_canonical(rows), _canonical(_rows(want, i)), rtol=1e-6, atol=1e-4)
    assert sum(len(r) for r in got) == len(want)


def test_back_projection_matches_images_detection(reference):
    d = np.load(reference / V / "yolo_images_detection.npz")
    s = YoloSettings(inp_dim=int(d["param_inp_dim"]))
    rows = filter_predictions(torch.from_numpy(d["in_prediction"]), s)
    want = d["out_dets"]
    for i, r in enumerate(rows):
        w, h = d["in_orig_dim_list_whwh"][i, :2]
        got = np.concatenate([unletterbox(r, (int(w), int(h)), s.inp_dim), r[:, 4:]], 1)
        np.testing.assert_allclose(_canonical(got), _canonical(_rows(want, i)), rtol=1e-6, atol=1e-3)


@pytest.mark.parametrize("size", [608, 416])
def test_letterbox_matches_prep_frame(reference, size):
    d = np.load(reference / V / "yolo_letterbox.npz")
    got, want = letterbox(d["in_frame_bgr_uint8"], size), d[f"out_input_{size}"]
    # OpenCV's cubic resize rounds a handful of pixels differently across CPUs (SIMD paths):
    # allow one grey level on at most 10 of ~1M values; geometry and fill must be exact
    levels = np.abs(got - want) * 255
    assert levels.max() <= 1.0 + 1e-4 and (levels > 0.5).sum() <= 10


def _logit(p):
    return float(np.log(p / (1 - p)))


@pytest.mark.parametrize("wh", [(640, 480), (300, 500), (1920, 1080), (608, 608)])
def test_known_box_comes_out_through_letterbox_and_back(wh):
    """Raw head outputs built to encode one person box; it must come back in image pixels."""
    w, h = wh
    inp, g, anchors = 608, 19, [(116.0, 90.0), (156.0, 198.0), (373.0, 326.0)]
    stride = inp // g
    scale = min(inp / w, inp / h)
    want = np.array([0.3 * w, 0.2 * h, 0.55 * w, 0.9 * h])  # image pixels
    lb = want * scale + [(inp - scale * w) / 2, (inp - scale * h) / 2] * 2
    cx, cy, bw, bh = (lb[0] + lb[2]) / 2, (lb[1] + lb[3]) / 2, lb[2] - lb[0], lb[3] - lb[1]
    gx, gy, a = int(cx // stride), int(cy // stride), 1
    raw = np.full((1, 3 * 85, g, g), -20.0, np.float32)
    base = a * 85
    raw[0, base + 0, gy, gx] = _logit(cx / stride - gx)
    raw[0, base + 1, gy, gx] = _logit(cy / stride - gy)
    raw[0, base + 2, gy, gx] = np.log(bw / anchors[a][0])
    raw[0, base + 3, gy, gx] = np.log(bh / anchors[a][1])
    raw[0, base + 4, gy, gx] = _logit(0.8)
    raw[0, base + 5, gy, gx] = _logit(0.9)  # person
    pred = decode_yolo_output(torch.from_numpy(raw), anchors, inp, 80)
    rows = filter_predictions(pred, YoloSettings())[0]
    assert len(rows) == 1 and rows[0, 4] == pytest.approx(0.8, abs=1e-5)
    np.testing.assert_allclose(unletterbox(rows, (w, h), inp)[0], want, atol=1e-2)


def test_non_person_and_low_objectness_are_dropped():
    p = torch.zeros(1, 3, 85)
    p[0, :, :4] = torch.tensor([100.0, 100.0, 50.0, 80.0])
    p[0, 0, 4], p[0, 0, 5] = 0.05, 0.9   # below the 0.1 objectness threshold
    p[0, 1, 4], p[0, 1, 6] = 0.9, 0.9    # a bicycle
    p[0, 2, 4], p[0, 2, 5] = 0.5, 0.2    # a person
    rows = filter_predictions(p, YoloSettings())[0]
    assert len(rows) == 1 and rows[0, 4] == pytest.approx(0.5)


def test_soft_nms_keeps_an_overlapping_person_with_a_decayed_objectness():
    from alphapose_ros.core.detectors.nms import iou_one_to_many

    pred = torch.zeros(1, 2, 85)
    pred[0, :, :4] = torch.tensor([[100.0, 200, 60, 120], [108, 200, 60, 120]])  # cx, cy, w, h
    pred[0, :, 4] = torch.tensor([0.9, 0.6])
    pred[0, :, 5] = 1.0  # person
    assert len(filter_predictions(pred, YoloSettings())[0]) == 1
    rows = filter_predictions(pred, YoloSettings(box_nms="soft"))[0]
    iou = iou_one_to_many(rows[0, :4], rows[1:, :4], plus_one=True)[0]
    np.testing.assert_allclose(rows[:, 4], [0.9, 0.6 * np.exp(-iou ** 2 / 0.5)], rtol=1e-5)
