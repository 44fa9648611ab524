"""The MediaPipe backend on real footage: skeletons lie on the people, left stays left."""
import cv2
import numpy as np
import pytest


@pytest.fixture(scope="module")
def estimator(mediapipe_models):
    from alphapose_ros.core.mediapipe.estimator import MediaPipePoseEstimator

    return MediaPipePoseEstimator("halpe_26")


def _scenes(footage):
    from alphapose_ros.core.detectors.hog import HogDetector
    from alphapose_ros.core.mediapipe.blazepose_detector import BlazePoseDetector

    cap = cv2.VideoCapture(str(footage / "vtest.avi"))
    frames = [cap.read()[1] for _ in range(60)][::20]
    hog, blaze = HogDetector(), BlazePoseDetector()
    for f in frames:
        yield "vtest", f, hog.detect([f])[0].boxes
    for name in ("basketball1.png", "messi5.jpg"):
        img = cv2.imread(str(footage / name))
        yield name, img, blaze.detect([img])[0].boxes


def test_confident_keypoints_fall_inside_their_person_box(estimator, footage):
    confident_poses = 0
    for name, img, boxes in _scenes(footage):
        out = estimator(cv2.cvtColor(img, cv2.COLOR_BGR2RGB), boxes)
        for box, kp, ks, score in zip(boxes, out.keypoints, out.keypoint_scores, out.pose_scores):
            if score < 0.5:
                continue
            confident_poses += 1
            w, h = box[2:] - box[:2]
            lo, hi = box[:2] - 0.1 * np.array([w, h]), box[2:] + 0.1 * np.array([w, h])
            pts = kp[ks >= 0.5]
            inside = ((pts >= lo) & (pts <= hi)).all(1).mean()
            assert inside >= 0.8, f"{name}: only {inside:.0%} of the keypoints inside the box {box}"
    assert confident_poses >= 6  # the footage has people: most boxes must give confident poses


def test_mirrored_image_gives_mirrored_pose_with_left_and_right_kept(estimator, footage):
    from alphapose_ros.core.mediapipe.blazepose_detector import BlazePoseDetector

    img = cv2.cvtColor(cv2.imread(str(footage / "messi5.jpg")), cv2.COLOR_BGR2RGB)
    box = BlazePoseDetector().detect([img[..., ::-1].copy()])[0].boxes
    w = img.shape[1]
    mirrored_box = np.stack([w - box[:, 2], box[:, 1], w - box[:, 0], box[:, 3]], 1)
    a = estimator(img, box)
    b = estimator(np.ascontiguousarray(img[:, ::-1]), mirrored_box)
    perm = estimator.format.flip_permutation()
    b_back = b.keypoints[0][perm] * [-1, 1] + [w, 0]
    ok = (a.keypoint_scores[0] > 0.5) & (b.keypoint_scores[0][perm] > 0.5)
    err = np.linalg.norm(a.keypoints[0] - b_back, axis=1)[ok]
    shoulders = np.linalg.norm(a.keypoints[0, 5] - a.keypoints[0, 6])
    assert ok.sum() >= 15
    # swapped sides would put each point a shoulder width (~40 px here) away
    assert np.median(err) < 0.25 * shoulders, f"median {np.median(err):.1f} px vs shoulders {shoulders:.1f} px"


def test_batched_people_equal_one_person_at_a_time(estimator, footage):
    from alphapose_ros.core.detectors.hog import HogDetector

    cap = cv2.VideoCapture(str(footage / "vtest.avi"))
    img = [cap.read()[1] for _ in range(51)][-1]
    boxes = HogDetector().detect([img])[0].boxes
    assert len(boxes) >= 4
    rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    together = estimator(rgb, boxes)
    alone = [estimator(rgb, b[None]) for b in boxes]
    np.testing.assert_allclose(together.keypoints, np.concatenate([o.keypoints for o in alone]), atol=1e-3)
    np.testing.assert_allclose(together.keypoint_scores, np.concatenate([o.keypoint_scores for o in alone]),
                               atol=1e-5)


def test_no_boxes_and_a_box_on_empty_ground(estimator, footage):
    img = cv2.cvtColor(cv2.imread(str(footage / "messi5.jpg")), cv2.COLOR_BGR2RGB)
    none = estimator(img, np.zeros((0, 4)))
    assert none.keypoints.shape == (0, 26, 2)
    sky = estimator(np.zeros((300, 300, 3), np.uint8), np.array([[50, 50, 150, 250]]))
    assert sky.pose_scores[0] < 0.2  # a black frame holds no person: low scores, not a made-up pose
