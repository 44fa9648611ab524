"""track_poses: the tracked poses a tracker's output selects."""


def test_a_track_without_a_detection_this_frame_is_not_given_another_persons_pose():
    import numpy as np

    from alphapose_ros.core.poses import PoseSet
    from alphapose_ros.core.tracking.msim import TrackOutput
    from alphapose_ros.core.tracking.trackers import track_poses

    class OneTrackWithoutDetection:
        def update(self, t, boxes, embeddings, keypoints, keypoint_scores, image=None):
            return TrackOutput(np.array([7, 8]), np.array([0, -1]), np.array([[0, 0, 10, 10], [50, 50, 60, 60.]]),
                               np.array([True, True]), np.array([1.0, 2.0]))

    kp = np.arange(2 * 17 * 2, dtype=np.float32).reshape(2, 17, 2)
    poses = PoseSet("coco_17", np.array([[0, 0, 10, 10], [20, 20, 30, 30]], np.float32), np.ones(2, np.float32), kp,
                    np.ones((2, 17), np.float32), np.ones(2, np.float32))
    out = track_poses(OneTrackWithoutDetection(), 0.0, poses)
    assert out.track_ids.tolist() == [7] and np.array_equal(out.keypoints, kp[:1]) and out.boxes.shape == (1, 4)
