"""A bag cut into time shards: the shards' frames, read one by one, are the whole bag's frames with the same
crop-tracking restarts and detector schedule."""
import pytest

from alphapose_ros.core.io.bag_shards import bag_frames, plan_shards


@pytest.fixture(scope="module")
def camera_bag(footage, tmp_path_factory):
    from alphapose_ros.core.io.bags import video_to_bag

    bag = tmp_path_factory.mktemp("shards") / "cam"
    video_to_bag(footage / "vtest.avi", bag, max_frames=23, size=(96, 72))
    return bag


def _marks(frames):
    return [(f.meta[0].stamp.sec, f.meta[0].stamp.nanosec, f.seq, f.restart) for f in frames]


def test_shards_read_one_by_one_give_the_whole_bags_frames_restarts_and_schedule(camera_bag):
    plan = plan_shards(camera_bag, "/camera/image_raw", 5)
    assert len(plan.shards) >= 4 and plan.window_ns > 0
    whole = _marks(bag_frames(camera_bag, "/camera/image_raw", plan))
    pieces = [m for s in plan.shards for m in _marks(bag_frames(camera_bag, "/camera/image_raw", plan, s))]
    assert pieces == whole and len(whole) == 23
    restarts = [i for i, m in enumerate(whole) if m[3]]
    assert restarts[0] == 0 and len(restarts) == len([s for s in plan.shards if s.frames])
    # the schedule counts from each restart
    assert all(whole[i][2] == 0 for i in restarts) and sum(s.frames for s in plan.shards) == 23


def test_no_shard_frames_is_one_shard_with_the_messages_counted_from_the_start(camera_bag):
    plan = plan_shards(camera_bag, "/camera/image_raw", 0)
    assert len(plan.shards) == 1 and plan.window_ns == 0
    marks = _marks(bag_frames(camera_bag, "/camera/image_raw", plan))
    assert [m[2] for m in marks] == list(range(23)) and [m[3] for m in marks] == [True] + [False] * 22
