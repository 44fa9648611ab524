import numpy as np

from alphapose_ros.synthetic.tracking_scenes import SceneSpec, make_scene


def test_same_seed_same_scene_and_detections_carry_their_truth():
    a, b = make_scene(SceneSpec(people=6, frames=30, seed=3)), make_scene(SceneSpec(people=6, frames=30, seed=3))
    np.testing.assert_array_equal(a[10].boxes, b[10].boxes)
    for f in a:
        assert f.boxes.shape[0] == f.keypoints.shape[0] == f.embeddings.shape[0] == len(f.det_gt)
        assert set(f.det_gt[f.det_gt >= 0]) <= set(f.gt_ids)


def test_crossing_pairs_overlap_and_hide_each_other_for_some_frames():
    frames = make_scene(SceneSpec(people=2, frames=120, seed=0, miss_rate=0.0, false_positives=0.0))
    both = [f for f in frames if len(f.gt_ids) == 2]
    hidden = [f for f in both if len(f.boxes) < 2]
    assert len(both) > 60 and 0 < len(hidden) < 40


def test_embeddings_are_close_for_the_same_person_and_far_for_others():
    f = make_scene(SceneSpec(people=4, frames=2, seed=1, false_positives=0.0, miss_rate=0.0, crossing=False))[0]
    e = f.embeddings / np.linalg.norm(f.embeddings, axis=1, keepdims=True)
    g = make_scene(SceneSpec(people=4, frames=2, seed=1, false_positives=0.0, miss_rate=0.0, crossing=False))[1]
    e2 = g.embeddings / np.linalg.norm(g.embeddings, axis=1, keepdims=True)
    same = 1 - (e * e2).sum(1)
    other = 1 - e @ e2.T
    np.fill_diagonal(other, np.inf)
    assert same.max() < 0.3 < other.min()
