"""The pose-NMS parameter search improves keypoint AP from deliberately bad parameters."""
import numpy as np
import pytest

pytest.importorskip("pycocotools")

from alphapose_ros.core.nms.oks import sigmas_for  # noqa: E402
from alphapose_ros.core.nms.parametric import PoseNMSParams  # noqa: E402
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


def test_candidates_from_infer_results_carry_the_box_score_not_the_proposal_score():
    """alphapose-infer --pose-nms none writes score = proposal score (box score + keypoint terms); the search
    read it as the box score, so pose NMS added the box term twice. Now box_score is written and read, and
    without it the box score is recovered from the proposal score."""
    from alphapose_ros.core.io.results import alphapose_records
    from alphapose_ros.core.pipeline import proposal_scores
    from alphapose_ros.core.poses import PoseSet
    from alphapose_ros.core.training.nms_search import Candidates

    rng = np.random.default_rng(0)
    ks = rng.uniform(0.1, 1, (4, 17)).astype(np.float32)
    box_scores = rng.uniform(0.2, 0.9, 4).astype(np.float32)
    poses = PoseSet("coco_17", rng.uniform(0, 50, (4, 4)) + [0, 0, 60, 60], box_scores, rng.uniform(0, 99, (4, 17, 2)),
                    ks, proposal_scores(ks, box_scores))
    records = alphapose_records("a.jpg", poses)
    assert [r["box_score"] for r in records] == pytest.approx(box_scores.tolist())
    for recs in (records, [{k: v for k, v in r.items() if k != "box_score"} for r in records]):
        _, got, _, _ = Candidates.from_records(recs).images["a.jpg"]
        np.testing.assert_allclose(got, box_scores, atol=1e-5)
