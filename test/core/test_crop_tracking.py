"""Crops from the last poses: the next crop from a pose's extent moved by its velocity, new people from
the detector's boxes, lost crops and non-people dropped, the detector's frame-count schedule; and the
pose pipeline with crop tracking on real footage: repeatable, fewer detector runs, the same people."""

import cv2
import numpy as np
import pytest

from alphapose_ros.core.crop_tracking import (CropTracker, CropTrackingSettings, RecentFrames, detection_interval,
                                              pose_boxes, pose_confidence)


def _pose(box, score=0.9, k=17):
    """k keypoints spread over `box` (x1,y1,x2,y2), all scored `score`."""
    x1, y1, x2, y2 = box
    t = np.linspace(0, 1, k)
    kp = np.stack([x1 + (x2 - x1) * t, y1 + (y2 - y1) * t[::-1]], 1).astype(np.float32)
    return kp, np.full(k, score, np.float32)


def test_pose_box_is_the_confident_keypoints_extent_grown_on_every_side():
    kp = np.array([[[10, 20], [30, 60], [100, 200]]], np.float32)
    sc = np.array([[0.9, 0.8, 0.1]], np.float32)  # the far point is not confident
    np.testing.assert_allclose(pose_boxes(kp, sc, 0.3, 0.5)[0], [0, 0, 40, 80])
    assert np.isnan(pose_boxes(kp, np.array([[0.9, 0.1, 0.1]], np.float32), 0.3, 0.1)).all()


def test_a_pose_seen_side_on_gets_a_person_shaped_box():
    """Someone walking across the view has keypoints in a thin column; a 5-px-wide box would overlap the
    next frame's so little that the tracker would give them a new ID every frame."""
    kp = np.array([[[100, 10], [104, 60], [102, 110]]], np.float32)
    box = pose_boxes(kp, np.ones((1, 3), np.float32), 0.3, 0.0, min_aspect=0.4)[0]
    np.testing.assert_allclose(box, [82, 10, 122, 110])  # 40 px wide = 0.4 x its 100 px height, same centre
    lying = pose_boxes(kp[..., ::-1].copy(), np.ones((1, 3), np.float32), 0.3, 0.0, min_aspect=0.4)[0]
    np.testing.assert_allclose(lying, [10, 82, 110, 122])


def test_pose_confidence_ignores_keypoints_the_model_does_not_score():
    sc = np.array([[0.8, 0.6, 0.0], [0.8, 0.0, 0.0]], np.float32)
    np.testing.assert_allclose(pose_confidence(sc), [0.7, 0.8])


def test_followed_crop_moves_with_the_pose_and_its_velocity():
    ct = CropTracker(CropTrackingSettings(grow=0.0, velocity_smoothing=1.0))
    crops, scores, followed = ct.proposals(0.0, np.array([[100, 100, 140, 200]]), np.array([0.9]))
    assert followed.tolist() == [False]
    kp, ks = _pose((100, 100, 140, 200))
    assert ct.update(0.0, crops, followed, kp[None], ks[None], detected=True).tolist() == [True]
    crops, _, followed = ct.proposals(0.1)  # no detector this frame: the crop from the last pose
    np.testing.assert_allclose(crops[0], [100, 100, 140, 200])
    kp, ks = _pose((110, 100, 150, 200))  # the person walked 10 px right in 0.1 s
    assert ct.update(0.1, crops, followed, kp[None], ks[None], detected=False).tolist() == [True]
    np.testing.assert_allclose(ct.predicted(0.2)[0], [120, 100, 160, 200], atol=1e-4)  # 100 px/s ahead


def test_detector_boxes_of_followed_people_are_not_cropped_twice():
    ct = CropTracker(CropTrackingSettings(grow=0.0))
    kp, ks = _pose((100, 100, 140, 200))
    ct.update(0.0, np.array([[100, 100, 140, 200]], np.float32), np.array([False]), kp[None], ks[None], True)
    det = np.array([[102, 98, 143, 205], [300, 100, 340, 200]], np.float32)
    crops, scores, followed = ct.proposals(0.1, det, np.array([0.5, 0.6]))
    assert len(crops) == 2 and followed.tolist() == [True, False]
    np.testing.assert_allclose(crops[1], det[1])
    assert scores.tolist() == [1.0, pytest.approx(0.6)]


@pytest.mark.parametrize("reanchor", [True, False])
def test_a_detector_frame_puts_a_crop_grown_over_two_people_back_on_one(reanchor):
    """A followed crop that spread over two people walking together: the detector's boxes pair with it one
    to one, so it is cut from its own person's box and the neighbour's box becomes a new crop (without
    re-anchoring, the neighbour's box overlaps the wide crop and is taken for the followed person)."""
    ct = CropTracker(CropTrackingSettings(grow=0.0, reanchor=reanchor))
    kp, ks = _pose((100, 100, 170, 200))  # one pose over both people
    ct.update(0.0, np.array([[100, 100, 170, 200]], np.float32), np.array([False]), kp[None], ks[None], True)
    det = np.array([[100, 100, 140, 200], [132, 100, 172, 200]], np.float32)
    crops, _, followed = ct.proposals(0.1, det, np.array([0.9, 0.8]))
    if reanchor:
        assert followed.tolist() == [True, False]
        np.testing.assert_allclose(crops, det)
    else:
        assert followed.tolist() == [True]
        np.testing.assert_allclose(crops, [[100, 100, 170, 200]])
    crops, _, followed = ct.proposals(0.2)  # no detector on this frame: crops from the last poses only
    assert followed.all()


def test_late_detections_pair_where_the_person_was_and_the_crop_moves_on_with_them():
    """Live, the detector's boxes are from an older image: a walker's box is paired with where their crop
    was then, and their crop is that box moved on by their velocity (not pulled back to the old place)."""
    ct = CropTracker(CropTrackingSettings(grow=0.0, velocity_smoothing=1.0))
    for t, x in ((0.0, 100), (0.1, 110), (0.2, 120), (0.3, 130)):  # 100 px/s to the right
        crops, _, followed = ct.proposals(t, *((np.array([[100, 100, 140, 200]]), np.array([0.9])) if t == 0 else ()))
        kp, ks = _pose((x, 100, x + 40, 200))
        ct.update(t, crops, followed, kp[None], ks[None], t == 0)
    late = np.array([[108, 102, 148, 202]], np.float32)  # the detector's box on the image of t = 0.1
    crops, _, followed = ct.proposals(0.4, late, np.array([0.9]), det_t=0.1)
    assert followed.tolist() == [True]
    np.testing.assert_allclose(crops[0], late[0] + [30, 0, 30, 0], atol=1e-3)  # 0.3 s on at 100 px/s


def test_new_boxes_get_crops_a_few_per_frame_surest_first_and_the_rest_wait():
    ct = CropTracker(CropTrackingSettings(grow=0.0, new_per_frame=2))
    det = np.array([[0, 0, 40, 100], [100, 0, 140, 100], [200, 0, 240, 100], [300, 0, 340, 100],
                    [400, 0, 440, 100]], np.float32)
    crops, scores, followed = ct.proposals(0.0, det, np.array([0.2, 0.9, 0.5, 0.7, 0.1]))
    np.testing.assert_allclose(crops, det[[1, 3]])  # the two surest boxes now
    assert not followed.any() and not ct.needs_detection()  # boxes still wait: no detector run needed
    poses = [_pose(b) for b in crops]
    ct.update(0.0, crops, followed, np.stack([p[0] for p in poses]), np.stack([p[1] for p in poses]), True)
    crops, scores, followed = ct.proposals(0.1)  # no detector run: the next two waiting boxes
    assert followed.tolist() == [True, True, False, False]
    np.testing.assert_allclose(crops[2:], det[[2, 0]])
    poses = [_pose(b) for b in crops]
    ct.update(0.1, crops, followed, np.stack([p[0] for p in poses]), np.stack([p[1] for p in poses]), False)
    # a new detector run replaces what still waits; boxes on people followed meanwhile are not cropped again
    crops, _, followed = ct.proposals(0.2, det[[0, 4]], np.array([0.8, 0.3]))
    assert followed.sum() == 4 and len(crops) == 5
    np.testing.assert_allclose(crops[4], det[4])
    assert len(ct.proposals(0.3)[0]) == 4  # nothing waits any more


def test_low_scoring_poses_are_dropped_and_a_lost_crop_asks_for_the_detector():
    ct = CropTracker(CropTrackingSettings(grow=0.0, keep_score=0.3, accept_score=0.5, confirm_frames=2))
    boxes = np.array([[0, 0, 40, 100], [200, 0, 240, 100]], np.float32)
    poses = [_pose(b, s) for b, s in zip(boxes, (0.9, 0.4))]  # a detector box with a weak pose: no person
    ct.update(0.0, boxes, np.array([False, False]), np.stack([p[0] for p in poses]),
              np.stack([p[1] for p in poses]), True)
    assert len(ct) == 1 and not ct.lost and not ct.needs_detection()
    crops, _, followed = ct.proposals(0.1)
    kp, ks = _pose(crops[0], 0.9)
    assert ct.update(0.1, crops, followed, kp[None], ks[None], False).tolist() == [True]  # confirmed
    crops, _, followed = ct.proposals(0.2)
    kp, ks = _pose(crops[0], 0.1)  # the followed person is gone
    assert ct.update(0.2, crops, followed, kp[None], ks[None], False).tolist() == [False]
    assert ct.lost and len(ct) == 0 and ct.needs_detection()


def test_with_confirmation_a_box_whose_crop_holds_a_pose_for_one_frame_only_is_never_a_person_nor_lost():
    ct = CropTracker(CropTrackingSettings(grow=0.0, confirm_frames=2))
    box = np.array([[0, 0, 40, 100]], np.float32)
    kp, ks = _pose(box[0], 0.6)  # a detector's false alarm that looks like someone for one frame
    assert ct.update(0.0, box, np.array([False]), kp[None], ks[None], True).tolist() == [False]
    crops, _, followed = ct.proposals(0.1)
    kp, ks = _pose(crops[0], 0.05)  # nobody there on the next frame
    assert ct.update(0.1, crops, followed, kp[None], ks[None], False).tolist() == [False]
    assert len(ct) == 0 and not ct.lost  # a false alarm gone is no reason to run the detector at once


def test_two_crops_converging_on_one_person_keep_the_surer_one_and_nobody_is_lost():
    ct = CropTracker(CropTrackingSettings(grow=0.0))
    boxes = np.array([[0, 0, 40, 100], [2, 0, 42, 100]], np.float32)
    poses = [_pose(b, s) for b, s in zip(boxes, (0.6, 0.9))]
    keep = ct.update(0.0, boxes, np.array([True, True]), np.stack([p[0] for p in poses]),
                     np.stack([p[1] for p in poses]), False)
    assert keep.tolist() == [False, True] and len(ct) == 1
    assert not ct.lost and not ct.needs_detection()  # a merged duplicate is no reason to run the detector


def test_the_detector_schedule_counts_frames():
    ct = CropTracker(CropTrackingSettings(detect_every=3))
    assert [ct.scheduled(i) for i in range(7)] == [True, False, False, True, False, False, True]
    with pytest.raises(ValueError):
        CropTrackingSettings(detect_every=0)


def test_pipeline_with_crop_tracking_is_repeatable_and_detects_on_fewer_frames(footage):
    from alphapose_ros.core.detectors.hog import SMALL_PEOPLE, HogDetector
    from alphapose_ros.core.pipeline import Frame, FramePipeline, PoseNMSConfig, nms_params_for
    from alphapose_ros.core.pose.backends import make_pose_estimator
    from alphapose_ros.core.tracking.msim import MSIMTracker

    cap = cv2.VideoCapture(str(footage / "vtest.avi"))
    frames = [cap.read()[1] for _ in range(24)]

    def run(concurrent):
        est = make_pose_estimator("mediapipe")
        pipe = FramePipeline(est, HogDetector(SMALL_PEOPLE), PoseNMSConfig("parametric", nms_params_for(est)), MSIMTracker(),
                             crop_tracker=CropTracker(CropTrackingSettings(detect_every=6)))
        items = list(pipe.run((Frame(str(i), i / 10, f) for i, f in enumerate(frames)), 2, concurrent))
        return items, pipe.detector_runs
    (a, runs_a), (b, runs_b) = run(True), run(False)
    assert runs_a == runs_b and 4 <= runs_a < len(frames)  # the schedule's 4, plus re-detections
    people = 0
    for x, y in zip(a, b):
        px, py = x.data["poses"], y.data["poses"]
        np.testing.assert_array_equal(px.keypoints, py.keypoints)
        np.testing.assert_array_equal(px.track_ids, py.track_ids)
        people += len(px)
    assert people >= 2 * len(frames)  # vtest's first second has 2-4 people in view


def test_a_pose_collapsed_to_a_point_gives_no_crop():
    kp = np.full((1, 5, 2), 50.0, np.float32)
    assert np.isnan(pose_boxes(kp, np.ones((1, 5), np.float32), 0.3, 0.2)).all()
    ct = CropTracker()
    assert ct.update(0.0, np.array([[40, 40, 60, 60]], np.float32), np.array([True]), kp,
                     np.ones((1, 5), np.float32), False).tolist() == [False]


def test_boxes_older_than_reanchor_lag_do_not_move_followed_crops_nor_become_new_people():
    """A box from an image too old to extrapolate (0.8 s > reanchor_lag) leaves the walker's crop where their
    poses put it, and is still known as that person (paired where they were then), not a new crop."""
    ct = CropTracker(CropTrackingSettings(grow=0.0, velocity_smoothing=1.0))
    for i in range(10):  # 100 px/s to the right, t = 0.0 .. 0.9
        t, x = i / 10, 100 + 10 * i
        crops, _, followed = ct.proposals(t, *((np.array([[100, 100, 140, 200]]), np.array([0.9])) if i == 0 else ()))
        kp, ks = _pose((x, 100, x + 40, 200))
        ct.update(t, crops, followed, kp[None], ks[None], i == 0)
    late = np.array([[112, 100, 152, 200]], np.float32)  # on the image of t = 0.1, 2 px off the walker then
    crops, _, followed = ct.proposals(1.0, late, np.array([0.9]), det_t=0.1)
    assert followed.tolist() == [True]
    np.testing.assert_allclose(crops[0], [200, 100, 240, 200], atol=1e-3)  # the poses' crop, not the box's
    with pytest.raises(ValueError):
        CropTrackingSettings(reanchor_lag=-1.0)


def test_recent_frames_keep_spaced_frames_for_a_while_and_find_the_one_nearest_a_time():
    rf = RecentFrames(max_age=1.0, spacing=0.2, max_frames=4)
    for i in range(12):
        rf.add(i / 10, np.full((2, 2, 3), i, np.uint8))
    assert [round(t, 1) for t, _ in rf.frames] == [0.4, 0.6, 0.8, 1.0]  # 0.2 s apart, 1 s old at most
    assert [round(t, 1) for t, _ in rf.since(0.65)] == [0.6, 0.8, 1.0]
    assert rf.since(0.1) == []  # older than anything kept: nothing to pose it on
    rf.add(0.0, np.zeros((2, 2, 3), np.uint8))  # time went back (a bag looping): the rest are forgotten
    assert [t for t, _ in rf.frames] == [0.0]
    with pytest.raises(ValueError):
        RecentFrames(max_frames=0)


class _Walker:
    """A pose model on a world with one person walking right at 100 px/s; the image's value is the frame
    index (t x 10): it finds the person in a crop overlapping them, nobody elsewhere."""

    def __init__(self):
        self.calls = []

    @staticmethod
    def truth(t):
        return np.array([100 + 100 * t, 100, 140 + 100 * t, 200], np.float32)

    def __call__(self, image_rgb, boxes):
        from alphapose_ros.core.pose.estimator import EstimatorOutput
        from alphapose_ros.core.tracking.matching import iou_matrix

        t = image_rgb[0, 0, 0] / 10
        self.calls.append((t, len(boxes)))
        kp, ks = _pose(self.truth(t))
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        on = iou_matrix(boxes, self.truth(t)[None], plus_one=False)[:, 0] > 0.2
        return EstimatorOutput(np.repeat(kp[None], len(boxes), 0), np.where(on[:, None], ks, 0.0).astype(np.float32),
                               boxes)


@pytest.mark.parametrize("kept", [True, False])
def test_a_late_new_persons_box_is_posed_on_its_own_image_and_followed_to_where_they_are_now(kept):
    """Live, a detector box arrives 0.8 s after its image: by then the walker is 80 px on, so a crop cut
    from the box holds nobody. Posed on the kept image it was found in and followed through the kept frames
    since, the crop lands on them now; with nothing kept, the old behaviour (nobody found)."""
    from alphapose_ros.core.pipeline import pose_followed_people

    est, ct, rf = _Walker(), CropTracker(), RecentFrames()
    for i in range(8):  # nobody followed yet: frames 0.0 .. 0.7 only get kept
        pose_followed_people(ct, est, np.full((4, 4, 3), i, np.uint8), i / 10, None, None, None,
                             rf if kept else None)
    box = _Walker.truth(0.0)[None]
    crops, _, out, _ = pose_followed_people(ct, est, np.full((4, 4, 3), 8, np.uint8), 0.8, box, np.array([0.9]),
                                            0.0, rf if kept else None)
    assert len(crops) == (1 if kept else 0)
    if kept:
        # its own image, then four of the seven kept frames since (0.1 s apart), spread to the newest: a late
        # box costs a bounded number of pose runs
        assert [t for t, _ in est.calls[8:-1]] == pytest.approx([0.0, 0.1, 0.3, 0.5, 0.7])
        from alphapose_ros.core.tracking.matching import iou_matrix
        assert iou_matrix(crops, _Walker.truth(0.8)[None], plus_one=False)[0, 0] > 0.5


def test_a_slow_detector_run_spaces_the_next_one_out_to_keep_within_its_duty():
    """Live: a fast run keeps min_interval; a run of 0.6 s at max_duty 0.5 waits 1.2 s, so the detector is busy
    at most half the time however large the camera or busy the CPU."""
    assert detection_interval(0.5, 0.2, 0.5) == pytest.approx(0.5)
    assert detection_interval(0.5, 0.6, 0.5) == pytest.approx(1.2)
    assert detection_interval(0.5, 0.6, 1.0) == pytest.approx(0.6)  # no cap: as soon as it is free
    with pytest.raises(ValueError):
        detection_interval(0.5, 0.2, 0.0)
