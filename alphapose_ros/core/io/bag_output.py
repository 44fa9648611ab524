"""An output bag that survives the worst: committed in bounded chunks (a power cut keeps what was
finished, and `salvage` turns what a killed run left into a readable bag), written by one process at a
time (a lock file beside it), and a killed run's leftover recognised as such.

rosbags' sqlite3 writer commits only when the bag is closed, and writes metadata.yaml then too: a process
killed before that leaves a .db3 whose open transaction the next reader rolls back (0 messages) and no
metadata. Committing every few frames keeps the rows; `salvage` rebuilds the bag (and its metadata) from
them, as `ros2 bag reindex` does for a recorder."""
from __future__ import annotations

import os
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

LEFTOVER_FILES = (".db3", ".db3-journal", ".db3-wal", ".db3-shm")


class BagLocked(RuntimeError):
    """Another live process is writing the same output bag."""


def lock_path(out: str | Path) -> Path:
    out = Path(out)
    return out.with_name(f".{out.name}.alphapose-bag.lock")


class OutputLock:
    """Held while a process writes `out`: a file beside it with the writer's PID. A lock whose process is
    gone (a killed run) is taken over."""

    def __init__(self, out: str | Path):
        self.out, self.path = Path(out), lock_path(out)
        self.held = False

    def __enter__(self) -> "OutputLock":
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                pid = _pid_in(self.path)
                if pid and _alive(pid):
                    raise BagLocked(f"another run (pid {pid}) is writing {self.out}; wait for it, or "
                                    "choose another --out") from None
                self.path.unlink(missing_ok=True)  # its process is gone: a killed run's lock
                continue
            with os.fdopen(fd, "w") as f:
                f.write(str(os.getpid()))
            self.held = True
            return self
        raise BagLocked(f"cannot take the lock {self.path}")

    def __exit__(self, *exc) -> None:
        if self.held:
            self.path.unlink(missing_ok=True)
            self.held = False


def _pid_in(path: Path) -> int:
    try:
        return int(path.read_text().strip() or 0)
    except (OSError, ValueError):
        return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def commit_pending(writer) -> None:
    """Commit what a rosbags writer has written so far (sqlite3 storage; others manage their own)."""
    conn = getattr(getattr(writer, "storage", None), "conn", None)
    if conn is not None:
        conn.commit()


def is_leftover(folder: str | Path) -> bool:
    """A killed run's output: a folder of sqlite files (at least one .db3) and no metadata.yaml."""
    folder = Path(folder)
    if not folder.is_dir() or (folder / "metadata.yaml").exists():
        return False
    files = list(folder.iterdir())
    return (any(p.suffix == ".db3" for p in files)
            and all(p.is_file() and p.name.endswith(LEFTOVER_FILES) for p in files))


def committed_rows(folder: str | Path) -> int:
    """Messages a leftover's database holds (its committed rows)."""
    with _open_leftover(Path(folder)) as con:
        return int(con.execute("SELECT COUNT(*) FROM messages").fetchone()[0])


def salvage(folder: str | Path) -> int:
    """Turn a killed run's leftover into a readable bag of its committed messages, in place (written aside,
    then swapped in); returns how many messages it holds. ValueError when `folder` is not a leftover."""
    from rosbags.rosbag2 import Writer
    from rosbags.rosbag2.metadata import parse_qos

    from alphapose_ros.core.io.bags import typestore

    folder = Path(folder)
    if not is_leftover(folder):
        raise ValueError(f"{folder} is not the leftover of a killed run (a folder of .db3 files without "
                         "metadata.yaml)")
    aside = folder.with_name(f".{folder.name}.salvage")
    shutil.rmtree(aside, ignore_errors=True)
    n = 0
    with _open_leftover(folder) as con, Writer(aside, version=9) as w:
        defs = {t: (d, h) for t, d, h in con.execute(
            "SELECT topic_type, encoded_message_definition, type_description_hash FROM message_definitions")}
        conns = {}
        for tid, name, msgtype, fmt, qos in con.execute(
                "SELECT id, name, type, serialization_format, offered_qos_profiles FROM topics ORDER BY id"):
            msgdef, digest = defs.get(msgtype, (None, None))  # no stored definition: the package's own types
            conns[tid] = w.add_connection(name, msgtype, msgdef=msgdef, rihs01=digest, serialization_format=fmt,
                                          offered_qos_profiles=parse_qos(qos) if qos else (),
                                          typestore=None if msgdef else typestore())
        for tid, t, data in con.execute("SELECT topic_id, timestamp, data FROM messages ORDER BY id"):
            w.write(conns[tid], t, data)
            n += 1
    old = folder.with_name(f".{folder.name}.leftover")
    folder.rename(old)
    aside.rename(folder)
    shutil.rmtree(old)
    return n


def _open_leftover(folder: Path) -> closing[sqlite3.Connection]:
    """A leftover's database, opened so that sqlite rolls its unfinished transaction back (the committed
    rows stay); closed when the `with` block ends."""
    dbs = sorted(folder.glob("*.db3"))
    if len(dbs) != 1:
        raise ValueError(f"{folder}: expected one .db3 file, found {len(dbs)}")
    return closing(sqlite3.connect(str(dbs[0])))
