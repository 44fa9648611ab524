"""A fleet worker: loads the models once, then runs whole shards through the per-frame stages.

It reads its shard's frames from the bag itself (bags live on storage every worker can read), so camera
frames never pass through the driver; what it returns is the poses, a few kB a frame. Its CPU threads are
capped to its share (`threads`: torch, OpenCV and the networks' runtimes, and with one CPU the stages run one
after another instead of in overlapping threads) so that N workers on N cores do not fight over them. Ray
wraps this class as an actor (core.fleet.driver); it runs without Ray too.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable

from alphapose_ros.core.fleet.shard_store import FrameResult, ShardResult
from alphapose_ros.core.io.bag_shards import Shard, ShardPlan, bag_frames
from alphapose_ros.core.io.bags import stamp_ns


class ShardWorker:
    """`make_pipeline(threads)` builds the per-frame FramePipeline (no tracker); a failure to build it is
    kept and reported by `ready` (one clear line instead of an actor's traceback)."""

    def __init__(self, make_pipeline: Callable, threads: int = 1, queue_size: int = 4):
        self.error = ""
        self.queue_size = queue_size
        # the pipeline's stages overlap in threads only where the worker has the CPUs for them: on one CPU
        # they would take a second core from the next worker
        self.concurrent = threads > 1
        if threads > 0:  # (Ray sets OMP_NUM_THREADS to the actor's CPUs before this process starts)
            import cv2
            import torch

            torch.set_num_threads(threads)
            cv2.setNumThreads(threads)
        try:
            self.pipe = make_pipeline(threads)
        except Exception as e:  # noqa: BLE001 - a config/checkpoint/weights problem: said once by the driver
            self.pipe = None
            self.error = str(e) if isinstance(e, ValueError) else f"{type(e).__name__}: {e}"

    def ready(self) -> tuple[str, int, str]:
        """(why the models could not be built, or ""; this worker's process id; the keypoint format's name)."""
        return self.error, os.getpid(), "" if self.pipe is None else self.pipe.estimator.format.name

    def run(self, shard: Shard, plan: ShardPlan) -> ShardResult:
        """The shard's frames through the per-frame stages, in bag order."""
        if self.pipe is None:
            raise RuntimeError(self.error)
        t0 = time.perf_counter()
        skipped: list[str] = []
        frames = bag_frames(shard.bag, shard.topic, plan, shard, on_skip=skipped.append)
        out = []
        for item in self.pipe.run(frames, queue_size=self.queue_size, concurrent=self.concurrent):
            header, reason = item.payload.meta
            stamp = stamp_ns(header)
            if item.error:
                out.append(FrameResult(stamp, header.frame_id, 0, 0, None, reason or str(item.error)))
            else:
                h, w = item.payload.image_bgr.shape[:2]
                out.append(FrameResult(stamp, header.frame_id, w, h, item.data["poses"], reason))
        return ShardResult(out, skipped, time.perf_counter() - t0)
