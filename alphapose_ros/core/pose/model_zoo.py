"""The model manifest (models/manifest.yaml), the weights cache, and verified downloads.

Downloads go to a temporary file beside the target, are checked (size, sha256 when
known, and a content check: a strict tensor-only load for pose checkpoints, the exact
byte size for darknet weights) and only then renamed into place, so the cache never
holds a partial or unverified file. File names from the manifest or from parameters
must be plain names: nothing may escape the cache directory.
"""
from __future__ import annotations

import os
import shutil
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from alphapose_ros.core.pose.cache import cache_dir, sha256_of


class ModelZooError(RuntimeError):
    """A manifest, cache or download problem, with the reason in the message."""


@dataclass(frozen=True)
class ModelEntry:
    name: str
    kind: str  # "pose", "detector" or "reid"
    file: str
    title: str = ""
    config: str | None = None
    format: str | None = None
    head: str | None = None
    sha256: str | None = None
    size_bytes: int | None = None
    links: tuple[str, ...] = field(default_factory=tuple)
    family: str | None = None  # simcc | rtmo | end2end: an ONNX file of the RTMPose family (core.rtm)
    input_hw: tuple[int, int] | None = None
    url: str | None = None  # a direct download (the RTMPose family's archives); None: see links


def manifest_path() -> Path:
    """models/manifest.yaml: $ALPHAPOSE_ROS_MANIFEST, the source tree, or the ROS share dir."""
    env = os.environ.get("ALPHAPOSE_ROS_MANIFEST")
    if env:
        return Path(env)
    src = Path(__file__).resolve().parents[3] / "models" / "manifest.yaml"
    if src.is_file():
        return src
    try:
        from ament_index_python.packages import get_package_share_directory

        return Path(get_package_share_directory("alphapose_ros")) / "models" / "manifest.yaml"
    except Exception:  # no ROS, or package not installed
        return src


def load_manifest(path: str | Path | None = None) -> dict[str, ModelEntry]:
    raw = yaml.safe_load(Path(path or manifest_path()).read_text())
    out = {}
    for kind in ("pose", "detector", "reid"):
        for name, e in (raw.get(kind) or {}).items():
            out[name] = ModelEntry(name=name, kind=kind, file=safe_name(e["file"]), title=e.get("title", ""),
                                   config=e.get("config"), format=e.get("format"), head=e.get("head"),
                                   sha256=e.get("sha256"), size_bytes=e.get("size_bytes"),
                                   links=tuple(e.get("links") or ()), family=e.get("family"),
                                   input_hw=tuple(e["input"]) if e.get("input") else None, url=e.get("url"))
    return out


def safe_name(name: str) -> str:
    """`name` if it is a plain file name; refuse anything that could leave the cache."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name or name.startswith("."):
        raise ModelZooError(f"refusing model file name {name!r}: it must be a plain file name")
    return name


def cached_path(entry: ModelEntry, cache: Path | None = None) -> Path:
    return (cache or cache_dir()) / safe_name(entry.file)


def cached_file(name: str) -> Path | None:
    """The cached file of the manifest's entry `name`, when the user has put it there."""
    p = cached_path(load_manifest()[name])
    return p if p.is_file() else None


def model_file(name_or_file: str, kind: str) -> Path:
    """The file that `--pose-model` / `--det-model` (kind pose / detector) names: a path to an existing file,
    or a manifest name whose file is in the cache. ModelZooError saying what to do otherwise."""
    path = Path(os.path.expandvars(name_or_file)).expanduser()
    if path.is_file():
        return path
    entries = {n: e for n, e in load_manifest().items() if e.kind == kind}
    if name_or_file not in entries:
        if path.suffix or "/" in name_or_file:
            raise ModelZooError(f"{name_or_file}: no such file")
        known = ", ".join(n for n, e in entries.items() if e.family)
        raise ModelZooError(f"unknown {kind} model {name_or_file!r}: a file, or one of {known} "
                            "(alphapose-download --list)")
    cached = cached_path(entries[name_or_file])
    if not cached.is_file():
        raise ModelZooError(f"{name_or_file} is not in the cache ({cached}): run alphapose-download {name_or_file}")
    return cached


def default_verifier(entry: ModelEntry) -> Callable[[Path], None]:
    """Content check per kind: pose checkpoints must load tensor-only and fit their format;
    YOLOX checkpoints must be the variant they are installed as."""
    def verify(path: Path) -> None:
        if entry.size_bytes is not None and path.stat().st_size != entry.size_bytes:
            raise ModelZooError(f"{entry.file}: {path.stat().st_size} bytes, expected {entry.size_bytes}")
        if entry.family:
            check_onnx_promise(entry, path)
        elif entry.kind == "pose":
            from alphapose_ros.core.pose.checkpoints import CheckpointError, output_layer, read_state_dict
            from alphapose_ros.core.skeletons import get_format

            try:
                state = read_state_dict(path)
            except CheckpointError as e:
                raise ModelZooError(str(e)) from e
            head = output_layer(state)
            want = get_format(entry.format).num_keypoints if entry.format else None
            if head is None or (want is not None and head.shape[0] != want):
                raise ModelZooError(f"{entry.file}: not a {entry.format} pose checkpoint "
                                    f"(output layer {None if head is None else tuple(head.shape)})")
        elif entry.kind == "reid":
            from alphapose_ros.core.pose.checkpoints import CheckpointError
            from alphapose_ros.core.reid.osnet_ain import load_osnet_ain

            try:
                load_osnet_ain(path)
            except CheckpointError as e:
                raise ModelZooError(str(e)) from e
        elif entry.name.startswith("yolox-"):
            from alphapose_ros.core.pose.checkpoints import CheckpointError, read_state_dict
            from alphapose_ros.core.detectors.yolox import variant_of

            try:
                found = variant_of(read_state_dict(path))
            except CheckpointError as e:
                raise ModelZooError(str(e)) from e
            if found != entry.name:
                raise ModelZooError(f"{entry.file}: not a {entry.name} checkpoint (it looks like {found or 'no YOLOX'})")
    return verify


def unpack_onnx(archive: Path, out: Path) -> None:
    """Replace `out` with the ONNX file of a released archive: its end2end.onnx, or its only .onnx."""
    with zipfile.ZipFile(archive) as z:
        names = [n for n in z.namelist() if n.endswith(".onnx")]
        chosen = [n for n in names if Path(n).name == "end2end.onnx"] or names
        if len(chosen) != 1:
            raise ModelZooError(f"{archive.name}: expected one end2end.onnx in the archive, found "
                                f"{', '.join(names) or 'no .onnx file'}")
        data = z.read(chosen[0])  # read, not extracted: no member path can leave the cache
    out.write_bytes(data)


def check_onnx_promise(entry: ModelEntry, path: Path) -> None:
    """The ONNX file is what the entry's name promises: family, keypoint format and input size."""
    from alphapose_ros.core.rtm.model_file import ModelFileError, inspect_onnx

    try:
        spec = inspect_onnx(path)
    except ModelFileError as e:
        raise ModelZooError(f"{entry.name}: {e}") from None
    family = "detector" if entry.family == "end2end" else entry.family
    got = (spec.family, spec.keypoint_format if spec.num_keypoints else None, spec.input_hw)
    promised = (family, entry.format, entry.input_hw)
    if got != promised:
        raise ModelZooError(f"{entry.name}: the file is a {got[0]} model ({got[1] or 'no keypoints'}, input "
                            f"{got[2][0]}x{got[2][1]}), not the promised {family} ({entry.format or 'no keypoints'}, "
                            f"input {promised[2][0]}x{promised[2][1]})")


def install(entry: ModelEntry, *, url: str | None = None, from_file: str | Path | None = None,
            sha256: str | None = None, cache: Path | None = None,
            verify: Callable[[Path], None] | None = None, timeout: float = 60.0) -> Path:
    """Fetch (url) or copy (from_file) a model into the cache, verified; returns its path."""
    if (url is None) == (from_file is None):
        raise ModelZooError("give exactly one of a URL or a local file")
    target = cached_path(entry, cache)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.part-{os.getpid()}")
    try:
        if url is not None:
            if not url.startswith(("http://", "https://")):
                raise ModelZooError(f"unsupported URL {url!r} (http or https only)")
            with urllib.request.urlopen(url, timeout=timeout) as r, open(tmp, "wb") as f:
                shutil.copyfileobj(r, f, 1 << 20)
        else:
            shutil.copyfile(from_file, tmp)
        want = (sha256 or entry.sha256 or "").lower()
        if want and sha256_of(tmp) != want:
            raise ModelZooError(f"{entry.file}: sha256 {sha256_of(tmp)} does not match the expected {want}")
        if entry.family and zipfile.is_zipfile(tmp):  # the released archive: its ONNX file is what is cached
            unpack_onnx(tmp, tmp)
        (verify or default_verifier(entry))(tmp)
        os.replace(tmp, target)
    except ModelZooError as e:  # name the user's file or URL, not the temporary copy being checked
        raise ModelZooError(str(e).replace(str(tmp), str(url or from_file))) from None
    except Exception as e:
        said = str(e).replace(str(tmp), str(url or from_file))
        raise ModelZooError(f"could not install {entry.name}: {type(e).__name__}: {said}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return target
