"""The queue-joined stage runner: order, real overlap of stages, bounded queues, batching,
per-item errors, source errors and early stop; and the pose pipeline run concurrently
giving exactly the sequential result on real footage."""
import random
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from alphapose_ros.core.concurrent_pipeline import ConcurrentPipeline, Stage


def _stage(name, f, batch=1):
    def fn(items):
        for it in items:
            it.data[name] = f(it.data.get("v", it.payload))
            it.data["v"] = it.data[name]
    return Stage(name, fn, batch)


@pytest.mark.parametrize("sequential", [False, True])
def test_outputs_come_in_input_order_with_every_stage_applied(sequential):
    def jitter(x):
        time.sleep(random.random() * 0.003)
        return x
    stages = [_stage("a", lambda v: jitter(v) * 2), _stage("b", lambda v: jitter(v) + 1, batch=3),
              _stage("c", lambda v: jitter(v) * 10)]
    out = list(ConcurrentPipeline(stages, queue_size=2, sequential=sequential).run(range(50)))
    assert [it.index for it in out] == list(range(50))
    assert [it.data["c"] for it in out] == [(2 * i + 1) * 10 for i in range(50)]


def test_two_stages_work_on_different_frames_at_the_same_time():
    second_started = threading.Event()

    def first(items):
        if items[0].index == 1:  # frame 1 can only finish once frame 0 is in the second stage
            assert second_started.wait(5), "second stage never ran while the first was busy"

    def second(items):
        second_started.set()
    out = list(ConcurrentPipeline([Stage("first", first), Stage("second", second)]).run(range(3)))
    assert all(it.error is None for it in out)


def test_queues_bound_how_far_the_source_runs_ahead():
    produced = []
    release = threading.Event()

    def source():
        for i in range(1000):
            produced.append(i)
            yield i

    def slow(items):
        release.wait(5)
    it = ConcurrentPipeline([Stage("s", slow)], queue_size=2).run(source())
    consumer = threading.Thread(target=lambda: next(it))
    consumer.start()
    time.sleep(0.3)
    # in flight at most: one in the stage, 2 in its input queue, 2 in the output queue, one being put
    assert len(produced) <= 6
    release.set()
    consumer.join(5)
    it.close()


def test_batches_are_filled_up_to_the_batch_size_and_the_tail_is_flushed():
    sizes = []
    list(ConcurrentPipeline([Stage("det", lambda items: sizes.append(len(items)), batch=4)]).run(range(10)))
    assert sizes == [4, 4, 2]


def test_a_failing_item_carries_its_error_and_the_rest_flow_on():
    def picky(items):
        if any(it.payload == 3 for it in items):
            raise RuntimeError("bad frame")
        for it in items:
            it.data["ok"] = True
    after = []
    stages = [Stage("picky", picky, batch=2), Stage("after", lambda items: after.extend(i.index for i in items))]
    pipe = ConcurrentPipeline(stages)
    out = list(pipe.run(range(6)))
    assert [it.error for it in out] == [None] * 3 + ["picky: RuntimeError: bad frame"] + [None] * 2
    assert pipe.stats["picky"].items == 6  # the retried batch is counted once
    assert all(it.data.get("ok") for it in out if it.error is None)
    assert 3 not in after  # later stages skip a failed item


def test_a_broken_source_ends_the_stream_with_its_error_after_the_good_frames():
    def source():
        yield 0
        yield 1
        raise OSError("camera unplugged")
    got = []
    with pytest.raises(OSError, match="camera unplugged"):
        for it in ConcurrentPipeline([_stage("a", lambda v: v)]).run(source()):
            got.append(it.index)
    assert got == [0, 1]


def test_stopping_early_releases_every_worker_thread():
    before = {t.ident for t in threading.enumerate()}
    it = ConcurrentPipeline([_stage("a", lambda v: v), _stage("b", lambda v: v)], queue_size=1).run(iter(range(10**6)))
    assert next(it).index == 0
    it.close()
    time.sleep(0.3)
    assert not [t for t in threading.enumerate() if t.ident not in before and t.name.startswith(("stage-", "source"))]


def test_stage_statistics_count_items_and_busy_time():
    pipe = ConcurrentPipeline([_stage("a", lambda v: time.sleep(0.002) or v)])
    list(pipe.run(range(5)))
    assert pipe.stats["a"].items == 5 and pipe.stats["a"].ms_per_item >= 2.0


def test_pose_pipeline_concurrent_equals_sequential_on_real_footage(footage):
    from alphapose_ros.core.detectors.hog import HogDetector
    from alphapose_ros.core.pose.estimator import PoseEstimator
    from alphapose_ros.core.models.config import build_model, load_config
    from alphapose_ros.core.pipeline import Frame, FramePipeline, PoseNMSConfig
    from alphapose_ros.core.nms.parametric import PoseNMSParams
    from alphapose_ros.core.tracking.msim import MSIMTracker

    cfg = load_config(Path(__file__).parents[1] / "ros/fixtures/fastpose_coco17.yaml")
    torch.manual_seed(0)
    est = PoseEstimator(cfg, build_model(cfg), batch_size=8)
    cap = cv2.VideoCapture(str(footage / "vtest.avi"))
    frames = [cap.read()[1] for _ in range(8)]
    frames[3] = np.zeros((0, 0, 3), np.uint8)  # an empty frame in the middle
    nms = PoseNMSConfig("parametric", PoseNMSParams.for_layout(17, True, score_thresh=0.0))

    def run(concurrent):
        pipe = FramePipeline(est, HogDetector(), nms, MSIMTracker(), det_batch=2)
        return list(pipe.run((Frame(str(i), i / 10, f) for i, f in enumerate(frames)), 2, concurrent))
    a, b = run(True), run(False)
    assert [it.error for it in a] == [it.error for it in b] and a[3].error and a[0].error is None
    people = 0
    for x, y in zip(a, b):
        if x.error is None:
            px, py = x.data["poses"], y.data["poses"]
            np.testing.assert_array_equal(px.keypoints, py.keypoints)
            np.testing.assert_array_equal(px.track_ids, py.track_ids)
            people += len(px)
    assert people > 0
