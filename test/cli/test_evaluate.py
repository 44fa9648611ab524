"""alphapose-eval: AP/AR of results files against COCO ground truth, and clear refusals."""
import json

import numpy as np
import pytest

pytest.importorskip("pycocotools")

from alphapose_ros.cli.evaluate import main  # noqa: E402
from alphapose_ros.core.training.nms_search import synthetic_set  # noqa: E402


def _files(tmp_path, jitter: float):
    gt, _ = synthetic_set(num_images=3)
    rng = np.random.default_rng(0)
    res = []
    for a in gt["annotations"]:
        kp = np.array(a["keypoints"], np.float64).reshape(-1, 3)
        kp[:, :2] += rng.normal(0, jitter, kp[:, :2].shape)
        res.append({"image_id": a["image_id"], "category_id": 1, "keypoints": kp.reshape(-1).tolist(), "score": 1.0})
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "res.json").write_text(json.dumps(res))
    return ["--gt", str(tmp_path / "gt.json"), "--results", str(tmp_path / "res.json")]


def test_exact_results_score_ap_1_and_jittered_ones_less(tmp_path):
    assert main(_files(tmp_path, 0.0) + ["--out", str(tmp_path / "a.json")]) == 0
    exact = json.loads((tmp_path / "a.json").read_text())
    assert exact["AP"] == pytest.approx(1.0) and exact["AR"] == pytest.approx(1.0)
    assert main(_files(tmp_path, 8.0) + ["--out", str(tmp_path / "b.json")]) == 0
    assert json.loads((tmp_path / "b.json").read_text())["AP"] < 0.9


def test_oks_nms_drops_each_duplicate_and_keeps_every_person(tmp_path, caplog):
    caplog.set_level("INFO")
    args = _files(tmp_path, 0.0)
    res = json.loads((tmp_path / "res.json").read_text())
    dupes = [{**r, "keypoints": [v + 0.5 if j % 3 != 2 else v for j, v in enumerate(r["keypoints"])], "score": 0.5}
             for r in res]
    (tmp_path / "res.json").write_text(json.dumps(res + dupes))
    assert main(args + ["--oks-nms", "--out", str(tmp_path / "a.json")]) == 0
    assert f"OKS NMS kept {len(res)} of {2 * len(res)} records" in caplog.text
    assert json.loads((tmp_path / "a.json").read_text())["AP"] == pytest.approx(1.0)


@pytest.mark.fault("eval-wrong-structure")
def test_results_of_another_format_are_refused(tmp_path, caplog):
    assert main(_files(tmp_path, 0.0) + ["--format", "halpe_26"]) == 2
    assert "results have 17 keypoints, the format has 26" in caplog.text


def _rewrite(tmp_path, name: str, change) -> None:
    path = tmp_path / name
    path.write_text(json.dumps(change(json.loads(path.read_text()))))


@pytest.mark.fault("eval-wrong-structure")
@pytest.mark.parametrize("name, change, message", [
    ("res.json", lambda res: [dict(r, keypoints=[float("nan")] * len(r["keypoints"])) for r in res],
     "result 0: keypoints or score are not finite numbers"),  # pycocotools ranked these AP 1.000
    ("res.json", lambda res: {"0": res}, "results are not a list of person records"),
    ("gt.json", lambda gt: gt["annotations"], "ground truth is not a COCO keypoint dataset"),
    ("res.json", lambda res: [dict(res[0], image_id=987654)] + res[1:], "result 0: image_id 987654 is not in"),
    ("res.json", lambda res: [dict(res[0], score=None)] + res[1:], "result 0: keypoints or score are not finite"),
])
def test_bad_inputs_are_refused_with_one_line_naming_the_problem(tmp_path, caplog, name, change, message):
    args = _files(tmp_path, 0.0)
    _rewrite(tmp_path, name, change)
    assert main(args) == 2 and message in caplog.text and "Traceback" not in caplog.text


@pytest.mark.fault("eval-bad-files")
def test_unreadable_json_and_unwritable_output_name_the_file_before_evaluating(tmp_path, caplog):
    args = _files(tmp_path, 0.0)
    (tmp_path / "res.json").write_text("{not json")
    assert main(args) == 2 and f"results {tmp_path / 'res.json'}" in caplog.text
    args = _files(tmp_path, 0.0)
    assert main(args + ["--out", str(tmp_path / "missing_dir" / "a.json")]) == 2
    assert main(args + ["--out", str(tmp_path)]) == 2 and "cannot write the figures" in caplog.text
