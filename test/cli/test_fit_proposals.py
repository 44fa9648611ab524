"""alphapose-fit-proposals: detector-vs-true box pairs in, a PGPG model the trainer loads out; the fitted
offsets are the detections' (here: true boxes grown by a known margin); bad inputs get one line, exit 2."""
import json

import numpy as np
import pytest
import yaml

from alphapose_ros.cli.fit_proposals import main, match


def _dataset(tmp_path, n_images=30, fmt_name="coco_17"):
    import cv2

    from alphapose_ros.core.skeletons import get_format
    from alphapose_ros.core.training.datasets import DatasetWriter

    fmt = get_format(fmt_name)
    w = DatasetWriter(tmp_path / "data", fmt)
    rng = np.random.default_rng(0)
    for _ in range(n_images):
        people = []
        for j in range(2):
            x0, y0 = 20 + 150 * j + rng.uniform(0, 20), 20 + rng.uniform(0, 20)
            k = np.zeros((fmt.num_keypoints, 3))
            k[:, 0] = x0 + rng.uniform(0, 60, fmt.num_keypoints)
            k[:, 1] = y0 + rng.uniform(0, 160, fmt.num_keypoints)
            k[:, 2] = 2
            if fmt.num_keypoints > 26:  # the face fills [20, 40] x [5, 25] of the person's box
                face = fmt.part_slice("face")
                k[face, 0] = x0 + 20 + np.linspace(0, 20, face.stop - face.start)
                k[face, 1] = y0 + 5 + np.linspace(0, 20, face.stop - face.start)
            people.append({"keypoints": k, "bbox": [x0, y0, 60.0, 160.0], "area": 9600.0})
        w.add(np.zeros((240, 360, 3), np.uint8), people)
    w.close()
    cv2.setNumThreads(1)
    return tmp_path / "data"


def _detections(data, path, margin=0.1):
    doc = json.loads((data / "annotations.json").read_text())
    recs = []
    for a in doc["annotations"]:
        x, y, w, h = a["bbox"]
        recs.append({"image_id": a["image_id"], "category_id": 1, "score": 0.9,
                     "bbox": [x - margin * w, y - margin * h, w * (1 + 2 * margin), h * (1 + 2 * margin)]})
    path.write_text(json.dumps(recs))
    return path


def test_fitted_offsets_are_the_detectors_and_the_trainer_loads_the_file(tmp_path):
    from alphapose_ros.core.training.pgpg import ProposalModel

    data = _dataset(tmp_path)
    out = tmp_path / "pgpg.yaml"
    assert main(["--data", str(data), "--detections", str(_detections(data, tmp_path / "dets.json")),
                 "--out", str(out), "--components", "2"]) == 0
    doc = yaml.safe_load(out.read_text())
    assert doc["fitted_on"]["pairs"] == 60 and doc["fitted_on"]["pairs_per_part"] == {"whole": 60}
    m = ProposalModel.from_dict(doc)
    mean = (m.weights["whole"][:, None] * m.means["whole"]).sum(0)
    np.testing.assert_allclose(mean, [-0.1, -0.1, 0.1, 0.1], atol=1e-3)
    atoms = tmp_path / "atoms.yaml"
    assert main(["--data", str(data), "--detections", str(tmp_path / "dets.json"), "--out", str(atoms),
                 "--atoms", "3", "--components", "1"]) == 0
    assert len(ProposalModel.from_dict(yaml.safe_load(atoms.read_text())).atoms) == 3


def test_face_offsets_are_the_detected_person_box_around_the_tight_face_box(tmp_path):
    from alphapose_ros.core.training.pgpg import ProposalModel

    data = _dataset(tmp_path, fmt_name="halpe_136")
    out = tmp_path / "pgpg.yaml"
    assert main(["--data", str(data), "--detections", str(_detections(data, tmp_path / "dets.json", margin=0.0)),
                 "--out", str(out), "--components", "1"]) == 0
    doc = yaml.safe_load(out.read_text())
    assert doc["fitted_on"]["pairs_per_part"]["face"] == 60 and doc["fitted_on"]["pairs_per_part"]["hand"] == 60
    m = ProposalModel.from_dict(doc)
    # person box [0, 60] x [0, 160] around a face box [20, 40] x [5, 25]: offsets in face-box sizes
    np.testing.assert_allclose(m.means["face"][0], [-1.0, -0.25, 1.0, 6.75], atol=1e-3)
    box = m.sample(np.array([100.0, 100.0, 120.0, 120.0]), "face", np.random.default_rng(0))
    np.testing.assert_allclose(box, [80, 95, 140, 255], atol=1.0)


def test_greedy_matching_is_one_to_one_by_overlap():
    gt = np.array([[0, 0, 10, 10], [20, 0, 30, 10]], float)
    det = np.array([[21, 0, 31, 10], [0, 1, 10, 11], [0.5, 0, 10.5, 10], [100, 100, 110, 110]], float)
    assert sorted(match(det, gt, 0.5)) == [(0, 1), (2, 0)]


@pytest.mark.fault("fit-proposals-bad-input")
@pytest.mark.parametrize("args, message", [
    (["--data", "{tmp}/nope", "--detections", "{tmp}/dets.json"], "not a dataset folder"),
    (["--data", "{data}", "--detections", "{tmp}/bad.json"], "not a JSON detection file"),
    (["--data", "{data}", "--detections", "{tmp}/far.json"], "too few to fit"),
])
def test_bad_inputs_are_one_line_and_exit_2(tmp_path, caplog, args, message):
    data = _dataset(tmp_path, 3)
    _detections(data, tmp_path / "dets.json")
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "far.json").write_text(json.dumps([{"image_id": 1, "bbox": [300, 200, 5, 5], "score": 1}]))
    argv = [a.format(tmp=tmp_path, data=data) for a in args] + ["--out", str(tmp_path / "o.yaml")]
    assert main(argv) == 2
    assert message in caplog.text and not (tmp_path / "o.yaml").exists()
