"""Track IDs that are never handed out twice, across restarts of the process that hands them out.

A tracker counts IDs from 1; a node process that is restarted (launch's respawn after a crash or a freeze)
would hand its first new people the IDs of people a controller may still hold. So the next unused ID is
kept in a small file, reserved a block at a time: the file always holds an ID above every one handed out,
written (atomically) before the IDs below it are used, so a restart from any point continues above them.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from alphapose_ros.core.fleet.shard_store import write_atomic

BLOCK = 1000  # IDs reserved per write; a frame adds far fewer new tracks than half of it


class IdLease:
    """The IDs this process may hand out: from `first`, reserved in the file at `path` (None: not kept, from 1)
    up to `limit`. Where the file cannot be read, holds no ID, or cannot be written (`problem` says why), IDs
    start at the time in tenths of a second instead: above a previous process's, unless that one averaged more
    than ten new people a second."""

    def __init__(self, path: Path | None, block: int = BLOCK):
        if block < 2:
            raise ValueError(f"block must be >= 2, got {block}")
        self.path, self.block, self.problem = path, block, ""
        self.kept = False  # the last reservation is in the file
        self.first = self.limit = 1
        if path is None:
            return
        stored = self._read()
        if stored is None and self.problem:
            self.first = self.limit = _time_start()
        elif stored is not None:
            self.first = self.limit = stored
        self.reserve(self.first)
        if not self.kept and self.first < _time_start():  # not written: a restart could not continue above
            self.first = _time_start()
            self.limit = self.first + self.block

    def reserve(self, next_id: int) -> None:
        """Call with the tracker's next ID after each frame: when it nears the reserved limit, a block more is
        reserved (one small write per block/2 new tracks) before those IDs can be handed out."""
        if next_id + self.block // 2 <= self.limit:
            return
        limit = int(next_id) + self.block
        if self.path is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(self.path, f"{limit}\n".encode())
                self.kept = True
            except OSError as e:
                self.problem, self.kept = f"cannot write {self.path}: {e.strerror or e}", False
        self.limit = limit

    def _read(self) -> int | None:
        try:
            text = self.path.read_text().strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as e:
            self.problem = f"cannot read {self.path}: {getattr(e, 'strerror', None) or e}"
            return None
        if not text.isdigit() or int(text) < 1:
            self.problem = f"{self.path} holds no track ID ({text[:40]!r}); replaced"
            return None
        return int(text)


def _time_start() -> int:
    return int(time.time() * 10)


def default_path(node_fqn: str) -> Path:
    """Where a tracking node keeps its next ID: $ROS_HOME (default ~/.ros)/alphapose_ros/, one file per node
    (its fully qualified name)."""
    home = Path(os.environ.get("ROS_HOME") or Path.home() / ".ros")
    return home / "alphapose_ros" / f"{node_fqn.strip('/').replace('/', '.') or 'tracking'}.next_track_id"
