"""Pair images with their detections by exact header stamp (no rclpy needed).

Each side is kept in a small bounded buffer; a pair is emitted as soon as both halves
with the same stamp are there. Halves that never find a partner are evicted oldest
first (and counted), so a detection for an unknown image is dropped, not kept forever.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable


def stamp_key(header) -> tuple[int, int]:
    return int(header.stamp.sec), int(header.stamp.nanosec)


class StampPairer:
    def __init__(self, on_pair: Callable[[object, object], None], capacity: int = 30):
        self.on_pair = on_pair
        self.capacity = max(1, int(capacity))
        self._a: OrderedDict = OrderedDict()
        self._b: OrderedDict = OrderedDict()
        self.dropped = 0

    def add_first(self, msg, key: tuple[int, int]) -> None:
        self._add(msg, key, self._a, self._b, first=True)

    def add_second(self, msg, key: tuple[int, int]) -> None:
        self._add(msg, key, self._b, self._a, first=False)

    def _add(self, msg, key, mine: OrderedDict, other: OrderedDict, first: bool) -> None:
        if key in other:
            partner = other.pop(key)
            # pairs older than this one will never complete once a newer stamp matched
            for k in [k for k in other if k < key]:
                other.pop(k)
                self.dropped += 1
            for k in [k for k in mine if k < key]:
                mine.pop(k)
                self.dropped += 1
            self.on_pair(*(msg, partner) if first else (partner, msg))
            return
        mine[key] = msg
        while len(mine) > self.capacity:
            mine.popitem(last=False)
            self.dropped += 1

    def clear(self) -> None:
        self._a.clear()
        self._b.clear()
