"""Pair images with their detections by exact header stamp (no rclpy needed).

Each side is kept in a bounded buffer; a pair is emitted as soon as both halves with the same
stamp are there. Two policies:
* live: once a stamp pairs, older unmatched halves are dropped (they will never complete), and a
  stamp that turns up twice on one side, or again after it paired, is ambiguous (which image did
  these boxes come from?): every half with it is dropped, never paired with the wrong frame.
* lossless (offline): nothing is dropped but past the capacity; stamps may go backwards, and
  messages that share a stamp pair first-in first-out (offline queues keep the order).
Every drop is counted, and reported once per reason through `on_drop`.
"""
from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable


AMBIGUOUS = "a stamp seen twice (ambiguous: which frame's boxes?)"  # the live policy's drop reason


def stamp_key(header) -> tuple[int, int]:
    return int(header.stamp.sec), int(header.stamp.nanosec)


class RecentStamps:
    """The last `capacity` stamps added (a bounded, ordered set)."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self._keys: OrderedDict = OrderedDict()

    def add(self, key) -> None:
        self._keys[key] = None
        while len(self._keys) > self.capacity:
            self._keys.popitem(last=False)

    def __contains__(self, key) -> bool:
        return key in self._keys


class StampPairer:
    def __init__(self, on_pair: Callable[[object, object], None], capacity: int = 30, lossless: bool = False,
                 on_drop: Callable[[str], None] | None = None):
        self.on_pair = on_pair
        self.capacity = max(1, int(capacity))
        self.lossless = lossless
        self.on_drop = on_drop
        self._a: OrderedDict = OrderedDict()  # stamp -> deque of messages
        self._b: OrderedDict = OrderedDict()
        self._done = RecentStamps(4 * self.capacity)  # live: paired or ambiguous stamps
        self.dropped = 0

    def add_first(self, msg, key: tuple[int, int]) -> None:
        self._add(msg, key, self._a, self._b, first=True)

    def add_second(self, msg, key: tuple[int, int]) -> None:
        self._add(msg, key, self._b, self._a, first=False)

    def _drop(self, n: int, reason: str) -> None:
        self.dropped += n
        for _ in range(n if self.on_drop is not None else 0):
            self.on_drop(reason)

    def _add(self, msg, key, mine: OrderedDict, other: OrderedDict, first: bool) -> None:
        if not self.lossless:
            if key in self._done or key in mine:  # a stamp seen twice on one side: ambiguous
                n = 1 + len(mine.pop(key, ())) + len(other.pop(key, ()))
                self._done.add(key)
                self._drop(n, AMBIGUOUS)
                return
        if other.get(key):
            q = other[key]
            partner = q.popleft()
            if not q:
                del other[key]
            if not self.lossless:
                self._done.add(key)
                for side in (mine, other):  # older unmatched halves will never complete now
                    for k in [k for k in side if k < key]:
                        self._drop(len(side.pop(k)), "never paired (a newer frame paired first)")
            self.on_pair(*(msg, partner) if first else (partner, msg))
            return
        mine.setdefault(key, deque()).append(msg)
        while sum(len(q) for q in mine.values()) > self.capacity:
            k, q = next(iter(mine.items()))
            q.popleft()
            if not q:
                del mine[k]
            self._drop(1, "waited too long for its partner (queue full)")

    def clear(self) -> None:
        self._a.clear()
        self._b.clear()


class NearestStamp:
    """Pairs each message of a main stream (poses) with the side-stream message (a depth image) whose stamp
    is nearest, within `slop` seconds (0: the same stamp only). A main message whose partner has not come
    yet waits (at most `capacity` of them); one that can no longer pair (the side stream has moved past
    it, or it waited longest when the queue is full) goes to `on_unpaired` with the reason, never lost.
    The last `capacity` side messages are kept."""

    def __init__(self, on_pair: Callable[[object, object], None], on_unpaired: Callable[[object, str], None],
                 slop: float = 0.0, capacity: int = 10):
        self.on_pair, self.on_unpaired = on_pair, on_unpaired
        self.slop = max(0.0, float(slop))
        self.capacity = max(1, int(capacity))
        self._side: deque = deque(maxlen=self.capacity)  # (t, msg), in arrival order
        self._main: deque = deque()

    def _partner(self, t: float):
        best = None
        for ts, msg in self._side:
            d = abs(ts - t)
            if d <= self.slop + 1e-9 and (best is None or d < best[0]):
                best = (d, msg)
        return None if best is None else best[1]

    def _passed(self, t: float) -> bool:
        return bool(self._side) and max(ts for ts, _ in self._side) > t + self.slop + 1e-9

    def _settle(self, msg, t: float) -> bool:
        """Pair `msg` or give it up; False when it must wait for a side message still to come."""
        partner = self._partner(t)
        if partner is not None:
            self.on_pair(msg, partner)
        elif self._passed(t):
            self.on_unpaired(msg, f"no depth image within {self.slop:g} s of its stamp")
        else:
            return False
        return True

    def add_main(self, msg, t: float) -> None:
        if not self._settle(msg, t):
            self._main.append((t, msg))
            if len(self._main) > self.capacity:
                self.on_unpaired(self._main.popleft()[1], "waited too long for its depth image (queue full)")

    def add_side(self, msg, t: float) -> None:
        self._side.append((t, msg))
        waiting, self._main = self._main, deque()
        self._main.extend((tm, m) for tm, m in waiting if not self._settle(m, tm))

    def clear(self) -> None:
        self._side.clear()
        self._main.clear()


def guarded_time_synchronizer(message_filters, inputs: list, capacity: int, on_pair: Callable[..., None],
                              on_drop: Callable[[str], None]):
    """message_filters' TimeSynchronizer over `inputs` (its Subscribers), behind guards that apply the live
    policy's ambiguity rule, which the synchronizer lacks (a second message with a pending stamp replaces
    the first there, and could pair one frame's boxes with another frame's image): a stamp seen twice on
    one side, or again after it paired, is dropped with every pending half of it."""
    done = RecentStamps(4 * capacity)
    seen = [RecentStamps(4 * capacity) for _ in inputs]
    sync = None

    class Guard(message_filters.SimpleFilter):
        def __init__(self, f, side: int):
            message_filters.SimpleFilter.__init__(self)
            self.side = side
            f.registerCallback(self.add)

        def add(self, msg) -> None:
            key = stamp_key(msg.header)
            if key in done:
                on_drop(AMBIGUOUS)
                return
            if key in seen[self.side]:
                done.add(key)
                with sync.lock:  # retract the pending halves with this stamp
                    n = sum(q.pop(key[0] * 1_000_000_000 + key[1], None) is not None for q in sync.queues)
                for _ in range(n + 1):
                    on_drop(AMBIGUOUS)
                return
            seen[self.side].add(key)
            self.signalMessage(msg)

    def paired(*msgs) -> None:
        done.add(stamp_key(msgs[0].header))
        on_pair(*msgs)

    guards = [Guard(f, i) for i, f in enumerate(inputs)]
    sync = message_filters.TimeSynchronizer(guards, capacity)
    sync.registerCallback(paired)
    return sync
