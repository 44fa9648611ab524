"""Where a fleet run keeps its finished shards, so that each is done exactly once across kills and re-runs.

OUT/.fleet/<bag name>/plan.json names the bag (path, file sizes and times), the options and the shard cut;
shard-00012.pkl holds one finished shard's per-frame results. Every file is written aside and renamed into
place (a kill leaves either the whole file or none), so a re-run with the same command trusts what it
finds and computes only the rest. A plan that does not match (another bag under the same name, other
options) is refused, never mixed in.
"""
from __future__ import annotations

import json
import os
import pickle
import shutil
from dataclasses import dataclass
from pathlib import Path

from alphapose_ros.core.io.bag_shards import ShardPlan
from alphapose_ros.core.poses import PoseSet

WORK = ".fleet"


@dataclass
class FrameResult:
    """One camera message of a shard after the per-frame stages: its header's stamp and frame, the image
    size, and the poses after pose NMS (None when the frame could not be used: `reason` says why)."""

    stamp_ns: int
    frame_id: str
    width: int
    height: int
    poses: PoseSet | None
    reason: str = ""


@dataclass
class ShardResult:
    """A finished shard: its frames in bag order, and the messages skipped for having no header (reasons)."""

    frames: list[FrameResult]
    skipped: list[str]
    seconds: float = 0.0


class PlanMismatch(ValueError):
    """The work folder holds shards of another bag or of other options."""


def write_atomic(path: Path, data: bytes) -> None:
    """`data` into `path` whole or not at all: written aside, flushed to disk, renamed over."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def bag_fingerprint(bag: str | Path) -> dict:
    """What identifies a bag's content cheaply: its files' names, sizes and modification times."""
    files = sorted(p for p in Path(bag).iterdir() if p.is_file())
    return {p.name: [p.stat().st_size, p.stat().st_mtime_ns] for p in files}


class BagWork:
    """The work folder of one input bag under a run's output folder."""

    def __init__(self, out: str | Path, name: str):
        self.dir = Path(out) / WORK / name

    def claim(self, bag: str | Path, options: dict, plan: ShardPlan) -> int:
        """Start or resume: write the plan, or check the one there matches; returns how many shards are done
        already. PlanMismatch when the folder holds another bag's or other options' shards."""
        want = {"bag": str(Path(bag).resolve()), "files": bag_fingerprint(bag), "options": options,
                "plan": {"origin_ns": plan.origin_ns, "window_ns": plan.window_ns, "shards": len(plan.shards)}}
        want = json.loads(json.dumps(want))  # as it reads back (tuples become lists)
        path = self.dir / "plan.json"
        if path.is_file():
            have = json.loads(path.read_text())
            if have != want:
                diff = sorted(k for k in want if have.get(k) != want[k])
                raise PlanMismatch(f"{self.dir} holds shards of another run ({', '.join(diff)} differ): remove it "
                                   "or choose another --out")
        else:
            self.dir.mkdir(parents=True, exist_ok=True)
            write_atomic(path, json.dumps(want, indent=1).encode())
        return sum(self.done(i) for i in range(len(plan.shards)))

    def shard_path(self, index: int) -> Path:
        return self.dir / f"shard-{index:05d}.pkl"

    def done(self, index: int) -> bool:
        return self.shard_path(index).is_file()

    def save(self, index: int, result: ShardResult) -> None:
        write_atomic(self.shard_path(index), pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))

    def load(self, index: int) -> ShardResult:
        with open(self.shard_path(index), "rb") as f:
            return pickle.load(f)

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def options_fingerprint(options: dict) -> dict:
    """The options that change a bag's poses, JSON-safe (what `claim` compares)."""
    return json.loads(json.dumps({k: options[k] for k in sorted(options)}, default=str))

