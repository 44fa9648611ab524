"""The fault matrix holds together, and the commands meet bad input as a user sees them: run as processes,
each answers with one line, the right exit status, no traceback and nothing half-written.
(The attacks themselves are the tests marked `fault`; `bash scripts/test.sh -m fault` runs them all and
prints the matrix.)"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fault_matrix import KEYS, ROWS

TEST_ROOT = Path(__file__).resolve().parent
FIXTURE_CFG = TEST_ROOT / "ros" / "fixtures" / "fastpose_coco17.yaml"


def test_every_attack_has_tests_and_every_fault_mark_names_an_attack():
    marked: dict[str, set[str]] = {}
    for path in TEST_ROOT.rglob("test_*.py"):
        for key in re.findall(r'pytest\.mark\.fault\("([^"]+)"\)', path.read_text()):
            marked.setdefault(key, set()).add(path.name)
    for case in CASES:  # marked below through pytest.param
        marked.setdefault(case[0], set()).add(Path(__file__).name)
    assert len(KEYS) == len(ROWS), "duplicate row keys"
    assert sorted(KEYS - marked.keys()) == [], "attacks no test carries out"
    assert sorted(marked.keys() - KEYS) == [], "fault marks naming no row of test/fault_matrix.py"


def _png(tmp: Path) -> str:
    """A small readable image: the input of cases whose fault lies elsewhere."""
    import cv2
    import numpy as np

    cv2.imwrite(str(tmp / "x.png"), np.zeros((8, 8, 3), np.uint8))
    return str(tmp / "x.png")


def _cfg_with(tmp: Path, dotted: str, value) -> str:
    """The fixture config with one entry (SECTION or SECTION.KEY) replaced by `value`, as c.yaml."""
    import yaml

    cfg = yaml.safe_load(FIXTURE_CFG.read_text())
    *parents, last = dotted.split(".")
    node = cfg
    for p in parents:
        node = node[p]
    node[last] = value
    return _write(tmp / "c.yaml", yaml.safe_dump(cfg))


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def _coco_pair(tmp: Path, keypoints: list[float]) -> list[str]:
    """A one-person COCO ground truth and a results file with the given keypoints."""
    gt = {"images": [{"id": 1, "width": 64, "height": 64}], "categories": [{"id": 1, "name": "person"}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 40, 60], "area": 2400,
                           "iscrowd": 0, "num_keypoints": 17, "keypoints": [10, 10, 2] * 17}]}
    res = [{"image_id": 1, "category_id": 1, "keypoints": keypoints, "score": 1.0}]
    return ["--gt", _write(tmp / "gt.json", json.dumps(gt)), "--results", _write(tmp / "res.json", json.dumps(res))]


def _camera_bag(tmp: Path) -> str:
    import cv2
    import numpy as np

    from alphapose_ros.core.io import bags

    video = tmp / "clip.avi"
    w = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for i in range(2):
        w.write(np.full((48, 64, 3), 40 * i, np.uint8))
    w.release()
    bags.video_to_bag(video, tmp / "cam_bag")
    return str(tmp / "cam_bag")


# (attack key, command module, argv maker, what the one line says, what must not have been written)
CASES = [
    ("infer-unwritable-output", "infer",
     lambda t: ["--input", _png(t), "--outdir", str(Path(_write(t / "f", "x")) / "out")],
     "cannot create the output folder", None),
    ("checkpoint-not-a-checkpoint", "infer",
     lambda t: ["--cfg", str(FIXTURE_CFG), "--checkpoint", _write(t / "m.pth", ""), "--input", _png(t),
                "--outdir", str(t / "out")], "the file is empty", None),
    ("checkpoint-not-a-checkpoint", "infer",
     lambda t: ["--cfg", str(FIXTURE_CFG), "--checkpoint", _write(t / "m.pth", "weights, honest\n"),
                "--input", _png(t), "--outdir", str(t / "out")], "not a PyTorch checkpoint", None),
    ("config-malformed", "infer",
     lambda t: ["--cfg", _write(t / "c.yaml", "MODEL: [unclosed\n"), "--input", _png(t), "--outdir", str(t / "o")],
     "not valid YAML", None),
    ("config-wrong-values", "infer",
     lambda t: ["--cfg", _cfg_with(t, "MODEL", [1, 2]), "--input", _png(t), "--outdir", str(t / "o")],
     "c.yaml: MODEL must be a mapping of settings", "o"),
    ("config-wrong-values", "infer",
     lambda t: ["--cfg", _cfg_with(t, "DATA_PRESET.IMAGE_SIZE", [-128, 0]), "--input", _png(t), "--outdir",
                str(t / "o")], "c.yaml: DATA_PRESET.IMAGE_SIZE must be a positive whole number, not -128", "o"),
    ("config-wrong-values", "infer",
     lambda t: ["--cfg", _cfg_with(t, "DATA_PRESET.NUM_JOINTS", "17"), "--input", _png(t), "--outdir",
                str(t / "o")], "c.yaml: DATA_PRESET.NUM_JOINTS must be a positive whole number, not '17'", "o"),
    ("eval-non-finite", "evaluate", lambda t: _coco_pair(t, [float("nan")] * 51) + ["--out", str(t / "ap.json")],
     "keypoints or score are not finite numbers", "ap.json"),
    ("eval-wrong-structure", "evaluate", lambda t: _coco_pair(t, [10, 10, 1] * 16) + ["--out", str(t / "ap.json")],
     "result 0", "ap.json"),
    ("eval-bad-files", "evaluate", lambda t: _coco_pair(t, [10, 10, 1] * 17) + ["--out", str(t / "gt.json" / "x")],
     "cannot write the figures to", None),
    ("download-bad-paths", "download",
     lambda t: ["fast_res50_coco", "--from-file", str(t / "nope.pth"), "--cache", str(t / "cache")],
     "--from-file", "cache"),
    ("download-bad-paths", "download",
     lambda t: ["fast_res50_coco", "--from-file", _write(t / "m.pth", "x"), "--cache", _write(t / "c", "x")],
     "c", None),
    ("bag-bad-targets", "process_bag",
     lambda t: ["--bag", _camera_bag(t), "--image-topic", "/nope", "--out", str(t / "poses_bag")],
     "no image topic '/nope'", "poses_bag"),
    ("bag-bad-targets", "process_bag",
     lambda t: ["--bag", _camera_bag(t), "--out", str(t / "cam_bag"), "--overwrite"], "is the input bag", None),
]


@pytest.mark.parametrize("key, command, argv, says, not_written",
                         [pytest.param(*c, marks=pytest.mark.fault(c[0]), id=f"{c[0]}-{i}")
                          for i, c in enumerate(CASES)])
def test_a_command_meets_bad_input_with_one_line_exit_2_and_nothing_half_written(tmp_path, key, command, argv,
                                                                                 says, not_written):
    args = argv(tmp_path)
    r = subprocess.run([sys.executable, "-m", f"alphapose_ros.cli.{command}", *args], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120, env=dict(os.environ, PYTHONWARNINGS="ignore"))
    out = r.stdout + r.stderr
    assert r.returncode == 2, out
    assert "Traceback" not in out, out
    said = [ln for ln in out.splitlines() if says in ln]
    assert said, out
    assert len(out.strip().splitlines()) <= 2, f"more than the one line (and an info line) for an error:\n{out}"
    if not_written:
        assert not (tmp_path / not_written).exists()
