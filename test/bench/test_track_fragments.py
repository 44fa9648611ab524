"""The track-fragment figures: IDs, long and one-frame IDs, and jumps (an ID handed to someone far away)."""
import numpy as np

from alphapose_ros.bench.track_fragments import fragments, run_mode


def _box(x):
    return np.array([x, 0, x + 40, 100], np.float64)


def test_fragment_counts_one_frame_ids_and_jumps_between_consecutive_frames():
    tracks = {1: [(f, _box(2 * f)) for f in range(12)],      # a person walking: 12 frames, no jump
              2: [(0, _box(500))],                           # a one-frame ID
              3: [(0, _box(0)), (1, _box(300)), (3, _box(0))]}  # handed to someone 300 px away; a gap is no jump
    r = fragments(tracks, frames=12, seconds=2.0)
    assert (r.ids, r.lasting, r.one_frame, r.jumps, r.poses) == (3, 1, 1, 1, 16) and r.frames_per_s == 6.0


def test_both_modes_run_on_real_footage(footage, mediapipe_models):
    r = run_mode(footage / "vtest.avi", 8, "hog", crop_tracking=True)
    assert r.poses > 0 and r.ids >= 1 and r.one_frame <= r.ids
