"""The repository's vision_msgs copy (interfaces/vision_msgs) is wire-compatible with vision_msgs 4.x:
its interface type hashes (RIHS01, what DDS matching in Jazzy and later compares) equal upstream's."""
import contextlib
import io
import json
import os
from pathlib import Path

import pytest
from conftest import SHARED, skip_without_shared

pytestmark = pytest.mark.ros
REPO = Path(__file__).resolve().parents[2]
# Computed from the upstream vision_msgs 4.x definitions (the check below recomputes them where those are present).
UPSTREAM_RIHS01 = {
    "Detection2DArray": "RIHS01_214274120007f4a683866481336b70310268cfa107aebe9d594a6acf75bda968",
    "Detection2D": "RIHS01_0d12b69df5c593b3455b7346fac8205437a7d4bcb09b9e0e0b2dde787ded38ea",
    "ObjectHypothesisWithPose": "RIHS01_41c12344c0396c48b81df12467c192d99b2a0eb1463c5c37194e4223251c80bc",
    "ObjectHypothesis": "RIHS01_51da43cec11c01957a64d1e05a24acd18aae7745ec30b74348ad5f6d634f7f90",
    "BoundingBox2D": "RIHS01_008eacbb0cf8f26e83795547bed013eec3675485ef386ec056d80eaaf1c1ce2f",
    "Pose2D": "RIHS01_b0b5d1d7b4c20dd4fcde3ed1d4b289a919290572007d67a97043814db25d3648",
    "Point2D": "RIHS01_eab0e83f44ab4de92ceaf76dd7d0e7638f2bdd1d16ffbe16c7a136c48e407247",
}


def _prefix_share(package: str) -> Path:
    for prefix in os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep):
        share = Path(prefix) / "share" / package
        if (share / "msg").is_dir():
            return share
    pytest.skip(f"{package} is not installed (run `source scripts/env.sh`)")


def type_hashes(msg_dir: Path, out: Path) -> dict[str, str]:
    """RIHS01 hash of every vision_msgs message in `msg_dir` (.msg files), as rosidl computes it at build time."""
    from rosidl_adapter.msg import convert_msg_to_idl
    from rosidl_generator_type_description import generate_type_hash

    pkg = out / "vision_msgs"
    (pkg / "msg").mkdir(parents=True)
    idl = []
    for f in sorted(msg_dir.glob("*.msg")):
        (pkg / "msg" / f.name).write_text(f.read_text())
        with contextlib.redirect_stdout(io.StringIO()):  # it prints each file it converts
            convert_msg_to_idl(pkg, "vision_msgs", Path("msg") / f.name, pkg / "msg")
        idl.append(f"{pkg}:msg/{f.stem}.idl")
    args = out / "args.json"
    args.write_text(json.dumps({"package_name": "vision_msgs", "output_dir": str(out / "hashes"), "idl_tuples": idl,
                                "include_paths": [f"{p}:{_prefix_share(p)}" for p in ("std_msgs", "geometry_msgs")]}))
    hashes = {}
    for path in generate_type_hash(str(args)):
        top = json.loads(path.read_text())["type_hashes"][0]
        hashes[top["type_name"].split("/")[-1]] = top["hash_string"]
    return hashes


def test_repository_definitions_hash_as_upstream_vision_msgs(tmp_path):
    assert type_hashes(REPO / "interfaces/vision_msgs/msg", tmp_path) == UPSTREAM_RIHS01


def test_pinned_hash_is_upstreams(tmp_path):
    upstream = SHARED / "interfaces/vision_msgs/msg"
    if not upstream.is_dir():
        skip_without_shared("the upstream vision_msgs definitions (interfaces/vision_msgs)")
    theirs = type_hashes(upstream, tmp_path)
    assert {t: theirs[t] for t in UPSTREAM_RIHS01} == UPSTREAM_RIHS01


def test_built_messages_carry_the_upstream_hash(vision_msgs):
    """The generated type support in use (the system's vision_msgs, or the copy set-up built) has that hash."""
    for name, want in UPSTREAM_RIHS01.items():
        built = json.loads((_prefix_share("vision_msgs") / f"msg/{name}.json").read_text())
        assert built["type_hashes"][0]["hash_string"] == want, name


def test_copy_is_never_built_by_a_workspace_colcon_build():
    """COLCON_IGNORE: in a workspace holding this repository, colcon must find the real vision_msgs only."""
    assert (REPO / "interfaces/vision_msgs/COLCON_IGNORE").is_file()
