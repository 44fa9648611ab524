"""Stages joined by bounded FIFO queues, each in its own thread (the paper's real-time design).

Throughput is set by the slowest stage instead of the sum of all: while the pose network
works on frame t, the detector already runs on frame t+1 and the reader decodes t+2.
One worker per stage keeps the output in input order. A stage may take items in
batches. An item that fails in a stage carries its error on (later stages skip it) so
one bad frame never stops the stream; an error outside any item (the source) is
re-raised to the consumer. PyTorch and OpenCV release the GIL in their kernels, which
is what lets threads overlap here; `sequential=True` runs the same stages one after
another in the caller's thread (the baseline the benchmark compares with).
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

log = logging.getLogger(__name__)
_END = object()


@dataclass
class Item:
    """One frame on its way through the stages; stages fill in `data`."""

    index: int
    payload: Any
    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    t_in: float = 0.0  # perf_counter when the source produced it
    t_out: float = 0.0  # ... and when the last stage finished it


@dataclass
class Stage:
    """A named step: fn(items) works on a list of up to `batch` items, in place."""

    name: str
    fn: Callable[[list[Item]], None]
    batch: int = 1


@dataclass
class StageStats:
    items: int = 0
    busy_s: float = 0.0

    @property
    def ms_per_item(self) -> float:
        return 1000.0 * self.busy_s / max(self.items, 1)


class _Stopped(Exception):
    pass


class ConcurrentPipeline:
    """Run `stages` over a stream of payloads with queues of `queue_size` between them."""

    def __init__(self, stages: list[Stage], queue_size: int = 4, sequential: bool = False):
        if not stages:
            raise ValueError("a pipeline needs at least one stage")
        self.stages = stages
        self.queue_size = max(1, int(queue_size))
        self.sequential = sequential
        self.stats = {s.name: StageStats() for s in stages}

    def run(self, payloads: Iterable[Any]) -> Iterator[Item]:
        """Items in input order, each after every stage (check `item.error`)."""
        return self._run_sequential(payloads) if self.sequential else self._run_threaded(payloads)

    def _apply(self, stage: Stage, items: list[Item]) -> None:
        """Run the stage on the items still without an error, timing it once."""
        live = [it for it in items if it.error is None]
        if not live:
            return
        t = time.perf_counter()
        self._call(stage, live)
        st = self.stats[stage.name]
        st.items += len(live)
        st.busy_s += time.perf_counter() - t

    def _call(self, stage: Stage, live: list[Item]) -> None:
        try:
            stage.fn(live)
        except Exception as e:  # isolate the failing item(s): retry one by one
            if len(live) == 1:
                live[0].error = f"{stage.name}: {type(e).__name__}: {e}"
            else:
                for it in live:
                    self._call(stage, [it])

    def _run_sequential(self, payloads: Iterable[Any]) -> Iterator[Item]:
        for i, p in enumerate(payloads):
            item = Item(i, p, t_in=time.perf_counter())
            for s in self.stages:
                self._apply(s, [item])
            item.t_out = time.perf_counter()
            yield item

    def _run_threaded(self, payloads: Iterable[Any]) -> Iterator[Item]:
        stop = threading.Event()
        queues = [queue.Queue(self.queue_size) for _ in range(len(self.stages) + 1)]
        failure: list[BaseException] = []

        def put(q: queue.Queue, x: object) -> None:
            while not stop.is_set():
                try:
                    q.put(x, timeout=0.1)
                    return
                except queue.Full:
                    continue
            raise _Stopped

        def get(q: queue.Queue) -> object:
            while not stop.is_set():
                try:
                    return q.get(timeout=0.1)
                except queue.Empty:
                    continue
            raise _Stopped

        def source() -> None:
            try:
                for i, p in enumerate(payloads):
                    put(queues[0], Item(i, p, t_in=time.perf_counter()))
            except _Stopped:
                return
            except BaseException as e:  # a broken source ends the stream with its error
                failure.append(e)
            try:
                put(queues[0], _END)
            except _Stopped:
                pass

        def worker(k: int, stage: Stage) -> None:
            q_in, q_out = queues[k], queues[k + 1]
            try:
                done = False
                while not done:
                    batch = [get(q_in)]
                    while len(batch) < stage.batch and batch[-1] is not _END:
                        batch.append(get(q_in))
                    if batch[-1] is _END:
                        batch.pop()
                        done = True
                    self._apply(stage, batch)
                    for it in batch:
                        put(q_out, it)
                put(q_out, _END)
            except _Stopped:
                return

        threads = [threading.Thread(target=source, name="source", daemon=True)]
        threads += [threading.Thread(target=worker, args=(k, s), name=f"stage-{s.name}", daemon=True)
                    for k, s in enumerate(self.stages)]
        for th in threads:
            th.start()
        try:
            while True:
                it = queues[-1].get()
                if it is _END:
                    break
                it.t_out = time.perf_counter()
                yield it
            if failure:
                raise failure[0]
        finally:  # also when the consumer stops early: release every thread
            stop.set()
            for th in threads:
                th.join(timeout=5)
