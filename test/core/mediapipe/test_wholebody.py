"""Halpe-136 from the MediaPipe backend: the face table gives the 300-W layout, hands sit on the wrists."""
import cv2
import numpy as np
import pytest

from alphapose_ros.core.mediapipe.wholebody import FACE68_FROM_MESH468


def test_face_table_has_68_distinct_mesh_vertices():
    assert len(FACE68_FROM_MESH468) == 68 and len(set(FACE68_FROM_MESH468)) == 68
    assert all(0 <= v < 468 for v in FACE68_FROM_MESH468)


@pytest.fixture(scope="module")
def messi_136(mediapipe_models, footage):
    from alphapose_ros.core.mediapipe.blazepose_detector import BlazePoseDetector
    from alphapose_ros.core.mediapipe.estimator import MediaPipePoseEstimator

    bgr = cv2.imread(str(footage / "messi5.jpg"))
    boxes = BlazePoseDetector().detect([bgr])[0].boxes
    return MediaPipePoseEstimator("halpe_136")(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), boxes)


def test_face_points_follow_the_300w_layout_on_a_real_face(messi_136):
    face = messi_136.keypoints[0, 26:94].astype(np.float64)
    assert messi_136.keypoint_scores[0, 26:94].min() > 0.5
    u = face[45] - face[36]  # image-left eye corner -> image-right eye corner: the face's x axis
    u /= np.linalg.norm(u)
    v = np.array([-u[1], u[0]])  # its y axis, downwards
    x, y = face @ u, face @ v
    assert (x[0:8] < x[8]).all() and (x[9:17] > x[8]).all()              # jaw from ear to ear
    assert (np.diff(x[3:14]) > 0).all()                                   # (the temples may bulge out)
    assert y[8] == y[0:17].max()                                          # chin lowest
    assert y[17:27].max() < y[36:48].min()                                # brows above eyes
    assert (np.diff(y[27:31]) > 0).all()                                  # nose bridge downwards
    assert x[36:42].mean() < x[27] < x[42:48].mean()                      # nose between the eyes
    assert y[30] < y[51] < y[62] < y[66] < y[57]                          # nose tip, lips top to bottom
    assert x[48] < x[51] < x[54]                                          # mouth corners


def test_hands_start_at_the_bodys_wrists(messi_136):
    kp, ks = messi_136.keypoints[0], messi_136.keypoint_scores[0]
    forearm = np.linalg.norm(kp[9] - kp[7])
    for wrist, hand0 in ((9, 94), (10, 115)):  # left, right
        if ks[hand0] > 0.5:
            assert np.linalg.norm(kp[hand0] - kp[wrist]) < 0.5 * forearm
    assert (ks[94:] > 0.5).any()  # at least one of his hands is found
