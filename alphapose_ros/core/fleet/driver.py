"""The fleet driver: bags cut into shards, shards mapped to Ray actors, each bag finished in time order.

Per bag: check it opens and has its camera topic, cut it into time shards (core.io.bag_shards), and claim
its work folder (core.fleet.shard_store: finished shards of an earlier, killed run are kept). Shards go to
`workers` actors (ShardWorker: models loaded once, CPU threads capped), a few queued per actor so none
waits; a worker that dies is restarted by Ray and its shard retried. Each finished shard is saved at once;
when a bag's shards are all saved, tracking, smoothing and the output bag are done here in time order
(core.tracking.offline, core.io.pose_bag), written aside and renamed into OUT/<bag folder name>. A bag that
fails is named in one line; the others go on.
"""
from __future__ import annotations

import logging
import math
import os
import resource
import shutil
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from alphapose_ros.core.fleet.shard_store import BagWork, PlanMismatch
from alphapose_ros.core.fleet.worker import ShardWorker
from alphapose_ros.core.io.bag_shards import ShardPlan, plan_shards

log = logging.getLogger("alphapose-fleet")


class BagProblem(ValueError):
    """What is wrong with an input bag that could be read (said as it is)."""


class WorkersFailed(RuntimeError):
    """The workers cannot build the models (a config, checkpoint or weights problem): nothing can run."""


@dataclass(frozen=True)
class FleetSettings:
    """Where and how wide the run goes."""

    workers: int = 2               # actors (local cluster: this many x cpus_per_worker CPUs)
    cpus_per_worker: float = 1.0   # each actor's CPU share; its library threads are capped to it
    gpus_per_worker: float = 0.0   # > 0: GPU actors
    address: str | None = None     # a running Ray cluster ("auto", "ray://host:10001"); None: start a local one
    shard_frames: int = 300        # frames per shard (about): crop tracking restarts there
    queued_per_worker: int = 2     # shards handed to an actor ahead, so it never waits for the driver


@dataclass
class BagJob:
    bag: Path
    name: str
    topic: str = ""
    plan: ShardPlan | None = None
    work: BagWork | None = None
    pending: set[int] = field(default_factory=set)
    resumed: int = 0
    error: str = ""
    done: bool = False
    frames: int = 0
    skipped: Counter = field(default_factory=Counter)


@dataclass
class FleetSummary:
    bags: list[BagJob]
    frames: int            # computed in this run (a resumed run's earlier shards not counted)
    seconds: float         # the whole run, Ray's start and the models' loading included
    working_seconds: float  # from the first shard handed out to the last bag written
    driver_peak_mb: float

    @property
    def failed(self) -> list[BagJob]:
        return [j for j in self.bags if j.error]


def prepare(bags: list[str | Path], out: Path, image_topic: str | None, options: dict, shard_frames: int
            ) -> list[BagJob]:
    """One job per input bag, checked and planned (or with its error); a bag whose output exists is done."""
    from alphapose_ros.core.io import bags as bagio

    jobs, names = [], Counter(Path(b).name for b in bags)
    for b in bags:
        job = BagJob(Path(b), Path(b).name)
        jobs.append(job)
        try:
            if names[job.name] > 1:
                raise BagProblem(f"{names[job.name]} input bags are named {job.name}: their outputs would collide "
                                 "in --out; rename one")
            if (out / job.name).exists():
                BagWork(out, job.name).remove()  # a run killed between writing the bag and tidying up
                job.done = True
                log.info("%s: %s exists already: skipped (a finished run; remove it to process the bag again)",
                         job.name, out / job.name)
                continue
            topics = bagio.image_topics(job.bag)
            try:
                job.topic = image_topic or bagio.only_image_topic(topics)
            except ValueError as e:
                raise BagProblem(str(e)) from None
            if job.topic not in topics:
                raise BagProblem(f"no image topic {job.topic!r}; its image topics: {topics}")
            job.plan = plan_shards(job.bag, job.topic, shard_frames)
            job.work = BagWork(out, job.name)
            done = job.work.claim(job.bag, options, job.plan)
            job.pending = {s.index for s in job.plan.shards if not job.work.done(s.index)}
            job.resumed = done
            if done:
                log.info("%s: resuming, %d of %d shards already done", job.name, done, len(job.plan.shards))
        except (PlanMismatch, BagProblem) as e:
            job.error = str(e)
        except Exception as e:  # noqa: BLE001 - unreadable, truncated, not a bag: one line, the others go on
            job.error = f"cannot read it ({type(e).__name__}: {e})"
        if job.error:
            log.error("%s: %s", job.name, job.error)
    return jobs


def run_fleet(bags: list[str | Path], out: str | Path, make_pipeline: Callable, make_tracker: Callable,
              smooth: bool, options: dict, settings: FleetSettings = FleetSettings(), image_topic: str | None = None,
              copy: bool = True, progress: bool | None = None) -> FleetSummary:
    """Process every bag into OUT/<its folder name>; see the module docstring. `make_pipeline(threads)` builds
    the per-frame stages on a worker, `make_tracker()` a bag's tracker here; `options` (the ones that change
    the poses) must match a resumed run's."""
    import ray

    from alphapose_ros.core.io.progress import Progress

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    jobs = prepare(bags, out, image_topic, options, settings.shard_frames)
    todo = [j for j in jobs if not j.error and not j.done]
    summary = FleetSummary(jobs, 0, 0.0, 0.0, 0.0)
    if todo:
        _start_ray(settings)
        try:
            actors, fmt = _start_workers(make_pipeline, settings)
            total = sum(j.plan.shards[i].frames for j in todo for i in j.pending)
            bar = Progress(total, enabled=progress)

            def finish(job: BagJob) -> None:
                _finish(job, out, fmt, make_tracker, smooth, copy)
                bar.note = f"{sum(j.done for j in jobs)}/{len(jobs)} bags done"

            t_work = time.perf_counter()
            _schedule(todo, actors, settings, bar, finish)
            summary.working_seconds = time.perf_counter() - t_work
            summary.frames = bar.done
            bar.close()
        finally:
            ray.shutdown()
    summary.seconds = time.perf_counter() - t0
    summary.driver_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return summary


def _start_ray(settings: FleetSettings) -> None:
    import ray

    if settings.address:
        ray.init(address=settings.address, log_to_driver=False, logging_level=logging.WARNING)
        log.info("joined the Ray cluster at %s (%g CPUs, %g GPUs)", settings.address,
                 ray.cluster_resources().get("CPU", 0), ray.cluster_resources().get("GPU", 0))
    else:  # the local workers import this checkout's package, wherever it is installed from
        root = str(Path(__file__).resolve().parents[3])
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
        cpus = math.ceil(settings.workers * settings.cpus_per_worker)
        ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
        log.info("started a local Ray cluster (%d CPUs)", cpus)


def _start_workers(make_pipeline: Callable, settings: FleetSettings):
    """The actors, once each has built its models; WorkersFailed with the first one's reason if they cannot."""
    import ray

    from alphapose_ros.core.skeletons import get_format

    Actor = ray.remote(ShardWorker).options(num_cpus=settings.cpus_per_worker, num_gpus=settings.gpus_per_worker,
                                            max_restarts=-1, max_task_retries=3)
    threads = max(1, int(settings.cpus_per_worker))
    actors = [Actor.remote(make_pipeline, threads) for _ in range(settings.workers)]
    answers = ray.get([a.ready.remote() for a in actors])
    errors = [e for e, _, _ in answers if e]
    if errors:
        raise WorkersFailed(f"the workers cannot build the models: {errors[0]}")
    log.info("%d workers ready (pids %s), %g CPUs each", len(actors), ", ".join(str(p) for _, p, _ in answers),
             settings.cpus_per_worker)
    return actors, get_format(answers[0][2])


def _schedule(jobs: list[BagJob], actors: list, settings: FleetSettings, bar, finish: Callable) -> None:
    """Every pending shard onto the actors, saved as it comes back; a bag is finished once all its are."""
    import ray

    queue = deque((j, i) for j in jobs for i in sorted(j.pending))
    running: dict = {}  # object ref -> (actor, job, shard index)

    def submit(actor) -> None:
        while queue:
            job, i = queue.popleft()
            if not job.error:  # a failed bag's other shards are not worth computing
                running[actor.run.remote(job.plan.shards[i], job.plan)] = (actor, job, i)
                return

    for actor in actors:
        for _ in range(settings.queued_per_worker):
            submit(actor)
    for job in jobs:  # a bag whose shards were all done before a kill: finish it now
        if not job.pending:
            finish(job)
    while running:
        (ref,), _ = ray.wait(list(running), num_returns=1)
        actor, job, i = running.pop(ref)
        try:
            result = ray.get(ref)
        except Exception as e:  # noqa: BLE001 - a shard that failed (its retries too): the bag fails, others go on
            cause = getattr(e, "cause", None) or e
            if not job.error:
                job.error = f"shard {i} failed ({type(cause).__name__}: {str(cause).strip().splitlines()[-1]})"
                log.error("%s: %s; its finished shards are kept", job.name, job.error)
        else:
            if not job.error:
                job.work.save(i, result)
                job.pending.discard(i)
            bar.update(len(result.frames))
            if not job.pending and not job.error:
                finish(job)
        submit(actor)


def _finish(job: BagJob, out: Path, fmt, make_tracker: Callable, smooth: bool, copy: bool) -> None:
    """Tracking, smoothing and the output bag over the bag's shards in time order; written aside, renamed
    into place, then its shards removed. A failure (a full disk) is the bag's error; its shards stay."""
    from rosbags.rosbag2 import Writer

    from alphapose_ros.core.io import bags
    from alphapose_ros.core.io.pose_bag import PoseBagWriter
    from alphapose_ros.core.poses import PoseSet
    from alphapose_ros.core.tracking.offline import OfflineSteps

    t0 = time.perf_counter()
    partial = out / f".{job.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    steps = OfflineSteps(make_tracker(), smooth, skip=lambda reason, note: job.skipped.update([reason]))
    n = 0
    try:
        with Writer(partial, version=9) as w:
            writer = PoseBagWriter(w, job.bag, fmt, copy=copy)
            for shard in job.plan.shards:
                result = job.work.load(shard.index)
                job.skipped.update(result.skipped)
                for f in result.frames:
                    if f.poses is None:
                        job.skipped[f.reason] += 1
                        poses = PoseSet.empty(fmt.name, fmt.num_keypoints)
                    else:
                        poses = steps(f.stamp_ns, f.poses, (f.width, f.height))
                    writer.write(bags.header(f.stamp_ns, f.frame_id), poses, f.width, f.height)
                    n += 1
        os.rename(partial, out / job.name)
    except Exception as e:  # noqa: BLE001 - a full disk, an unwritable --out: the shards stay for a re-run
        shutil.rmtree(partial, ignore_errors=True)
        job.error = f"cannot write {out / job.name} ({type(e).__name__}: {e}); its shards are kept: run the " \
                    "same command again"
        log.error("%s: %s", job.name, job.error)
        return
    job.work.remove()
    job.done, job.frames = True, n
    skipped = sum(job.skipped.values())
    log.info("%s: %d frames (%d not processed%s), %d shards (%d resumed), written in %.1f s -> %s", job.name, n,
             skipped, ": " + ", ".join(f"{r} x{c}" for r, c in job.skipped.items()) if skipped else "",
             len(job.plan.shards), job.resumed, time.perf_counter() - t0, out / job.name)
