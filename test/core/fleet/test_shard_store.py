"""The fleet's work folder: shards saved whole or not at all, a matching plan resumed, another refused."""
import numpy as np
import pytest

from alphapose_ros.core.fleet.shard_store import BagWork, FrameResult, PlanMismatch, ShardResult
from alphapose_ros.core.io.bag_shards import Shard, ShardPlan
from alphapose_ros.core.poses import PoseSet


def _bag(tmp_path):
    bag = tmp_path / "in" / "cam"
    bag.mkdir(parents=True)
    (bag / "cam_0.db3").write_bytes(b"x" * 10)
    (bag / "metadata.yaml").write_text("rosbag2_bagfile_information: {}\n")
    return bag


PLAN = ShardPlan(0, 10, tuple(Shard("cam", "/camera/image_raw", i, 10 * i, 10 * i + 10, 3) for i in range(3)))


def test_a_saved_shard_reads_back_and_counts_as_done_on_resume(tmp_path):
    bag = _bag(tmp_path)
    work = BagWork(tmp_path / "out", "cam")
    assert work.claim(bag, {"detector": "hog"}, PLAN) == 0
    poses = PoseSet("halpe_26", np.ones((1, 4), np.float32), np.ones(1, np.float32), np.ones((1, 26, 2), np.float32),
                    np.ones((1, 26), np.float32), np.ones(1, np.float32))
    work.save(1, ShardResult([FrameResult(5, "cam", 8, 6, poses), FrameResult(6, "cam", 0, 0, None, "bad")], ["x"]))
    assert [p.name for p in work.dir.iterdir() if p.name.endswith(".tmp")] == []  # nothing left aside
    assert BagWork(tmp_path / "out", "cam").claim(bag, {"detector": "hog"}, PLAN) == 1
    back = work.load(1)
    assert back.skipped == ["x"] and back.frames[1].reason == "bad"
    np.testing.assert_array_equal(back.frames[0].poses.keypoints, poses.keypoints)


@pytest.mark.parametrize("change", ["options", "bag", "plan"])
def test_a_work_folder_of_another_run_is_refused_naming_what_differs(tmp_path, change):
    bag = _bag(tmp_path)
    BagWork(tmp_path / "out", "cam").claim(bag, {"detector": "hog"}, PLAN)
    options, plan = {"detector": "hog"}, PLAN
    if change == "options":
        options = {"detector": "blazepose"}
    elif change == "bag":
        (bag / "cam_0.db3").write_bytes(b"y" * 11)
    else:
        plan = ShardPlan(0, 20, PLAN.shards[:2])
    with pytest.raises(PlanMismatch, match="another run"):
        BagWork(tmp_path / "out", "cam").claim(bag, options, plan)
