"""The driver's per-bag end, without Ray: a full disk while a bag is written is that bag's error, its shards
stay for the next run and no half bag is left; the next run writes it whole."""
import errno

import numpy as np
import pytest

from alphapose_ros.core.fleet.driver import BagJob, _finish
from alphapose_ros.core.fleet.shard_store import BagWork, FrameResult, ShardResult
from alphapose_ros.core.io import pose_bag
from alphapose_ros.core.io.bag_shards import plan_shards
from alphapose_ros.core.poses import PoseSet
from alphapose_ros.core.skeletons import get_format


@pytest.mark.fault("disk-full")
def test_a_full_disk_while_a_bag_is_written_keeps_its_shards_and_leaves_no_half_bag(footage, tmp_path, monkeypatch):
    from rosbags.rosbag2 import Reader

    from alphapose_ros.core.io.bags import video_to_bag

    bag = tmp_path / "in" / "cam"
    video_to_bag(footage / "vtest.avi", bag, max_frames=3, size=(96, 72))
    out = tmp_path / "out"
    plan = plan_shards(bag, "/camera/image_raw", 0)
    work = BagWork(out, "cam")
    work.claim(bag, {}, plan)
    fmt = get_format("halpe_26")
    poses = PoseSet("halpe_26", np.array([[1, 2, 30, 60]], np.float32), np.ones(1, np.float32),
                    np.full((1, 26, 2), 5, np.float32), np.ones((1, 26), np.float32), np.ones(1, np.float32))
    work.save(0, ShardResult([FrameResult(10**9 + i, "cam", 96, 72, poses) for i in range(3)], []))
    job = BagJob(bag, "cam", "/camera/image_raw", plan, work)
    real_write = pose_bag.PoseBagWriter.write

    def full(self, *args):
        if self.written == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(self, *args)

    monkeypatch.setattr(pose_bag.PoseBagWriter, "write", full)
    _finish(job, out, fmt, lambda: None, smooth=False, copy=False)
    assert "No space left on device" in job.error and "run the same command again" in job.error
    assert work.done(0) and not (out / "cam").exists() and not (out / ".cam.partial").exists()
    monkeypatch.undo()  # space again: the next run
    job.error = ""
    _finish(job, out, fmt, lambda: None, smooth=False, copy=False)
    assert job.done and job.frames == 3 and not work.dir.exists()
    with Reader(out / "cam") as r:
        assert sum(c.msgcount for c in r.connections if c.topic == "/alphapose/poses") == 3
