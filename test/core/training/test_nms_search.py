"""The pose-NMS parameter search improves keypoint AP from deliberately bad parameters."""
import pytest

pytest.importorskip("pycocotools")

from alphapose_ros.core.oks_nms import sigmas_for  # noqa: E402
from alphapose_ros.core.pose_nms import PoseNMSParams  # noqa: E402
from alphapose_ros.core.training.evaluate import keypoint_ap  # noqa: E402
from alphapose_ros.core.training.nms_search import run_nms, search, synthetic_set  # noqa: E402


def test_ap_is_perfect_for_ground_truth_and_lower_with_duplicates():
    gt, cands = synthetic_set(num_images=4)
    sig = sigmas_for(17)
    perfect = [{"image_id": a["image_id"], "category_id": 1, "keypoints": a["keypoints"], "score": 1.0}
               for a in gt["annotations"]]
    assert keypoint_ap(gt, perfect, sig) == pytest.approx(1.0)
    no_nms = run_nms(cands, PoseNMSParams.for_layout(17, gamma=1e9, match_thresh=1e9))
    assert len(no_nms) == 3 * len(gt["annotations"])


def test_search_improves_ap_over_bad_start():
    gt, cands = synthetic_set(num_images=6)
    bad = PoseNMSParams.for_layout(17, gamma=1000.0, match_thresh=1000.0)
    res = search(gt, cands, bad, sigmas_for(17), max_cycles=6)
    assert res.ap > res.start_ap + 0.05, (res.start_ap, res.ap)
    # the found parameters suppress the known duplicates
    kept = run_nms(cands, res.params)
    assert len(kept) <= 1.2 * len(gt["annotations"])


def test_cli_writes_a_params_file_the_node_accepts(tmp_path):
    import yaml

    from alphapose_ros.cli.nms_search import main

    out = tmp_path / "nms.yaml"
    assert main(["--synthetic", "--max-cycles", "1", "--out", str(out)]) == 0
    params = yaml.safe_load(out.read_text())
    PoseNMSParams.for_layout(17, **params)  # the keys are PoseNMSParams fields
    assert set(params) == {"delta1", "mu", "delta2", "gamma", "score_thresh", "match_thresh", "alpha"}
