"""A bag's camera topic cut into shards by recorded time, and the frames of one shard.

Detection, crops, the pose network and pose NMS are per frame, so shards of a bag can run anywhere
(alphapose-fleet); only crop tracking carries state from frame to frame. That state is rebuilt from the
detector alone on the first frame of every shard (`Frame.restart`), and the detector's schedule counts
frames from there (`Frame.seq`), so a bag read whole (alphapose-bag) and the same bag read shard by shard
give the same poses. Shards are windows of equal recorded time from the bag's start, sized from its
metadata (no pass over the data): about `shard_frames` frames each.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from alphapose_ros.core.io.bags import read_image_messages, stamp_ns
from alphapose_ros.core.pipeline import Frame


@dataclass(frozen=True)
class Shard:
    """Messages of `topic` recorded in [start_ns, stop_ns); `index` counts shards from the bag's start."""

    bag: str
    topic: str
    index: int
    start_ns: int
    stop_ns: int
    frames: int  # about this many (the topic's mean rate over the window): for progress only


@dataclass(frozen=True)
class ShardPlan:
    """How a bag is cut: windows of `window_ns` from `origin_ns` (window 0: the whole bag, one shard)."""

    origin_ns: int
    window_ns: int
    shards: tuple[Shard, ...]


def plan_shards(bag: str | Path, topic: str, shard_frames: int) -> ShardPlan:
    """Cut `topic` of `bag` into windows of recorded time holding about `shard_frames` frames each
    (0: one shard)."""
    from rosbags.rosbag2 import Reader

    with Reader(bag) as r:
        count = sum(c.msgcount for c in r.connections if c.topic == topic)
        start, end = int(r.start_time), int(r.end_time) if count else int(r.start_time)
    span = max(end - start, 0)
    if shard_frames <= 0 or count <= shard_frames:
        return ShardPlan(start, 0, (Shard(str(bag), topic, 0, start, end + 1, count),))
    window = max(1, span * shard_frames // count)
    n = span // window + 1
    per = count / n
    return ShardPlan(start, window, tuple(Shard(str(bag), topic, k, start + k * window, start + (k + 1) * window,
                                                round(per * (k + 1)) - round(per * k)) for k in range(n)))


def bag_frames(bag: str | Path, topic: str, plan: ShardPlan, shard: Shard | None = None,
               on_skip: Callable[[str], None] | None = None) -> Iterator[Frame]:
    """Frames of the whole topic (shard None) or of one shard, each with the message's header and decode
    problem (empty when none) as `meta`, `restart` on the first frame of every shard window and `seq`
    counting the window's messages. A message without a header cannot be answered: `on_skip(reason)`."""
    window, seq, restart = None, 0, True
    start, stop = (shard.start_ns, shard.stop_ns) if shard is not None else (None, None)
    for i, (t, header, img, reason) in enumerate(read_image_messages(bag, topic, start, stop)):
        w = (t - plan.origin_ns) // plan.window_ns if plan.window_ns else 0
        if w != window:
            window, seq, restart = w, 0, True
        if header is None:
            if on_skip is not None:
                on_skip(reason)
        else:
            yield Frame(f"{shard.index}.{i}" if shard is not None else str(i), stamp_ns(header) * 1e-9, img,
                        meta=(header, reason), seq=seq, restart=restart)
            restart = False
        seq += 1
