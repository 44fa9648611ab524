"""Figure-rendered crossing scenes: each true person is drawn inside their box in their own clothes,
the frames are reproducible, and the people are not the ones the re-ID training sets are made of."""
import numpy as np

from alphapose_ros.synthetic.rendered_scenes import HELD_OUT_SEED, FigureRenderer
from alphapose_ros.synthetic.tracking_scenes import SceneSpec, make_scene
from alphapose_ros.synthetic.figures import identity_looks


def test_people_are_drawn_inside_their_boxes_and_frames_repeat():
    spec = SceneSpec(people=3, frames=20, width=640, height=360, crossing=False, seed=2)
    frames = make_scene(spec)
    draw = FigureRenderer(spec, backgrounds=[np.full((100, 100, 3), 128, np.uint8)])
    img = draw(frames[10], 10)
    assert np.array_equal(img, draw(frames[10], 10))
    changed = (img != 128).any(2)
    inside = np.zeros_like(changed)
    for x0, y0, x1, y1 in frames[10].gt_boxes:
        w, h = x1 - x0, y1 - y0
        inside[int(max(y0 - 0.1 * h, 0)):int(y1 + 0.1 * h), int(max(x0 - 0.8 * w, 0)):int(x1 + 0.8 * w)] = True
        assert changed[int(y0):int(y1), int(x0):int(x1)].mean() > 0.1  # somebody is there
    assert changed[~inside].sum() == 0
    assert not np.array_equal(img, draw(frames[11], 11))  # they move and change pose


def test_scene_people_are_held_out_from_training_identities():
    spec = SceneSpec(people=5, seed=0)
    train = identity_looks(300, 0)
    assert HELD_OUT_SEED > 0
    for look in FigureRenderer(spec, backgrounds=[]).looks:
        assert all(look != t for t in train)
