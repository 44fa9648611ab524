"""alphapose-infer with no AlphaPose weights: MediaPipe poses on HOG boxes, real footage."""
import json

from alphapose_ros.cli.infer import main
from alphapose_ros.core.io.results import validate_alphapose_records


def test_no_config_runs_the_mediapipe_backend_and_writes_halpe26_results(mediapipe_models, footage, tmp_path,
                                                                           caplog):
    caplog.set_level("INFO")
    rc = main(["--input", str(footage / "vtest.avi"), "--outdir", str(tmp_path), "--max-frames", "4"])
    assert rc == 0
    assert "MediaPipe" in caplog.text and "detector: hog" in caplog.text
    recs = json.loads((tmp_path / "alphapose-results.json").read_text())
    validate_alphapose_records(recs, 26)
    assert len(recs) >= 4 and max(r["score"] for r in recs) > 1.0


def test_alphapose_backend_without_config_is_a_clear_error(tmp_path, caplog):
    import cv2
    import numpy as np

    cv2.imwrite(str(tmp_path / "x.png"), np.zeros((8, 8, 3), np.uint8))
    rc = main(["--input", str(tmp_path), "--backend", "alphapose", "--outdir", str(tmp_path)])
    assert rc == 2 and "needs an AlphaPose config" in caplog.text


def test_pose_track_flag_gives_each_person_a_track_id_across_frames(mediapipe_models, footage, tmp_path):
    rc = main(["--input", str(footage / "vtest.avi"), "--outdir", str(tmp_path), "--max-frames", "6",
               "--pose_track", "--reid-weights", "none"])
    assert rc == 0
    recs = json.loads((tmp_path / "alphapose-results.json").read_text())
    ids = [r["idx"] for r in recs]
    assert all(isinstance(i, int) and i >= 1 for i in ids)
    by_frame = {}
    for r in recs:
        by_frame.setdefault(r["image_id"], []).append(r["idx"])
    assert all(len(set(v)) == len(v) for v in by_frame.values())      # unique within a frame
    assert len(set(ids)) < len(ids)                                     # people keep their IDs over frames
