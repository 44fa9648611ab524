"""Synthetic figures: Halpe-136 labels in the right order (the face template mirrors onto
itself under the format's flip pairs), COCO visibility codes, reproducible images."""
import numpy as np

from alphapose_ros.core.skeletons import get_format
from alphapose_ros.synthetic.figures import FACE, FACE0, make_image


def test_face_template_is_its_own_mirror_under_halpe_flip_pairs():
    fmt = get_format("halpe_136")
    perm = fmt.flip_permutation()[FACE0:FACE0 + 68] - FACE0
    np.testing.assert_allclose(FACE[perm] * [-1, 1], FACE, atol=1e-9)
    # the jaw starts on the person's right, i.e. image left for a figure facing the camera
    assert FACE[0, 0] < 0 < FACE[16, 0]


def test_images_are_reproducible_and_labels_are_coco_style():
    a_img, a = make_image(np.random.default_rng(7), [])
    b_img, b = make_image(np.random.default_rng(7), [])
    assert np.array_equal(a_img, b_img) and len(a) == len(b) >= 1
    for p, q in zip(a, b):
        assert np.array_equal(p["keypoints"], q["keypoints"])
    h, w = a_img.shape[:2]
    for p in a:
        kp = p["keypoints"]
        assert kp.shape == (136, 3) and set(np.unique(kp[:, 2])) <= {0, 1, 2}
        lab = kp[kp[:, 2] > 0]
        assert (lab[:, 0] >= 0).all() and (lab[:, 0] < w).all() and (lab[:, 1] >= 0).all() and (lab[:, 1] < h).all()
        x, y, bw, bh = p["bbox"]
        inside = ((lab[:, 0] >= x - 2) & (lab[:, 0] <= x + bw + 2) & (lab[:, 1] >= y - 2) & (lab[:, 1] <= y + bh + 2))
        assert inside.mean() > 0.6  # the box is the visible silhouette; covered joints may lie outside


def test_figures_seen_from_behind_have_no_face_labels_and_overlaps_are_marked_covered():
    rng = np.random.default_rng(0)
    back = covered = 0
    for _ in range(40):
        _, people = make_image(rng, [])
        for p in people:
            v = p["keypoints"][:, 2]
            if v[FACE0:FACE0 + 68].max() == 0 and v[3:5].max() > 0:
                back += 1
                assert v[:3].max() == 0
            covered += int((v == 1).sum())
    assert back > 0 and covered > 0


def test_identity_looks_dress_each_figure_as_its_identity():
    from alphapose_ros.synthetic.figures import identity_looks, make_image, pose_figure

    looks = identity_looks(6, 0)
    assert looks == identity_looks(6, 0) and looks != identity_looks(6, 1)
    assert any("pattern" in lk for lk in looks)
    rng = np.random.default_rng(0)
    fig = pose_figure(rng, np.array([100.0, 100.0]), 150.0, looks[2])
    assert fig.colours is looks[2]
    seen = set()
    for seed in range(6):
        _, people = make_image(np.random.default_rng(seed), [], (240, 180), max_people=3, looks=looks)
        ids = [p["identity"] for p in people]
        assert len(ids) == len(set(ids)) and all(0 <= i < 6 for i in ids)
        seen.update(ids)
    assert len(seen) >= 4


def test_a_striped_shirt_shows_both_of_its_colours():
    import cv2

    from alphapose_ros.synthetic.figures import draw_figure, identity_looks, pose_figure

    look = next(lk for lk in identity_looks(20, 0) if "pattern" in lk)
    canvas = np.zeros((300, 200, 3), np.uint8)
    fig = pose_figure(np.random.default_rng(1), np.array([100.0, 160.0]), 260.0, look)
    draw_figure(canvas, fig)
    torso = np.zeros((300, 200), np.uint8)
    cv2.fillConvexPoly(torso, np.round(fig.keypoints[[5, 6, 12, 11]]).astype(np.int32), 1)
    px = canvas[torso > 0].astype(int)
    for colour in (look["shirt"], look["pattern"]["colour"]):
        assert (np.abs(px - colour).sum(1) <= 3).mean() > 0.1
