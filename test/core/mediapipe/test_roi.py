import numpy as np

from alphapose_ros.core.mediapipe.roi import crop_rois, rois_from_boxes, rois_from_points, to_image


def test_upright_roi_maps_crop_corners_to_the_square_around_the_box_centre():
    rois = rois_from_boxes(np.array([[10, 20, 50, 100]]), scale=1.0)
    corners = to_image(np.array([[[0, 0], [256, 256], [128, 128]]], float), rois, 256)
    np.testing.assert_allclose(corners[0], [[-10, 20], [70, 100], [30, 60]])


def test_roi_up_axis_points_from_centre_to_the_up_point():
    rois = rois_from_points(np.array([[100.0, 100.0]]), np.array([[150.0, 100.0]]), scale=1.0)
    top_centre = to_image(np.array([[[128, 0]]], float), rois, 256)[0, 0]
    np.testing.assert_allclose(top_centre, [150, 100], atol=1e-9)
    assert rois.side[0] == 100


def test_crop_and_back_projection_agree_on_a_marked_pixel():
    img = np.zeros((200, 300, 3), np.uint8)
    img[120:124, 200:204] = 255  # a bright square centred at continuous (202, 122)
    rois = rois_from_points(np.array([[180.0, 110.0]]), np.array([[180.0, 60.0]]), scale=1.0)
    rois.angle[:] = 0.7
    crop = crop_rois(img, rois, 64)[0].sum(2)
    ys, xs = np.nonzero(crop > 0.5 * crop.max())
    found = to_image(np.array([[[xs.mean() + 0.5, ys.mean() + 0.5]]]), rois, 64)[0, 0]
    np.testing.assert_allclose(found, [202, 122], atol=1.0)


def test_crop_outside_the_image_is_black():
    img = np.full((50, 50, 3), 200, np.uint8)
    rois = rois_from_boxes(np.array([[1000, 1000, 1100, 1100]]))
    assert crop_rois(img, rois, 32).max() == 0
