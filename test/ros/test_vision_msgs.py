"""The repository's vision_msgs, hri_msgs and tf2_msgs copies (interfaces/) are wire-compatible with vision_msgs
4.x, ROS4HRI's hri_msgs and tf2_msgs: their interface type hashes (RIHS01, what DDS matching in Jazzy and later compares) equal
upstream's."""
import contextlib
import io
import json
import os
import re
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
    "Detection3DArray": "RIHS01_793f5eab9595ac1c0da07873cc859db42eae51f0ee76056db8562515d830e018",
    "Detection3D": "RIHS01_ddd703be132ab0b69d33121f1bb034132bfbb3b0ac5f9fb1516005ba1c8a265b",
    "BoundingBox3D": "RIHS01_bbb73a65c163d7f9bb29009c7bde9f7faa576bd2d23299c4511d19230dab4698",
}
# Computed from the upstream hri_msgs definitions (ROS4HRI) in the same way.
HRI_RIHS01 = {
    "IdsList": "RIHS01_7e0812d1ac945c98fd3e393568d581ad0ab567f37b24eff633eab778c1bfe62d",
    "NormalizedRegionOfInterest2D": "RIHS01_2e50c93f1ca166ee77af9a5424dc951ae4e452b740162a7f83c082d917dcaff5",
    "Skeleton2D": "RIHS01_1318f65254b604e7ea57fe9cb8fc318904076f56d29b61a34c88ee564a92ee00",
    "NormalizedPointOfInterest2D": "RIHS01_cc1d2f720c82afeb850ff1dbf66f41ecb7caf19f842987f1247e66160cf03953",
}
# tf2_msgs (ros2/geometry2), as rosidl generates it into its type support
TF2_RIHS01 = {"TFMessage": "RIHS01_e369d0f05a23ae52508854b66f6aa0437f3449d652e8cbf22d5abe85d020f087"}
DEPENDENCIES = {"vision_msgs": ("std_msgs", "geometry_msgs"), "hri_msgs": ("std_msgs",),
                "tf2_msgs": ("std_msgs", "geometry_msgs", "builtin_interfaces")}


def _prefix_share(package: str) -> Path:
    for prefix in os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep):
        share = Path(prefix) / "share" / package
        if (share / "msg").is_dir():
            return share
    pytest.skip(f"{package} is not installed (run `source scripts/env.sh`)")


def type_hashes(msg_dir: Path, out: Path, package: str = "vision_msgs", only=None) -> dict[str, str]:
    """RIHS01 hash of every `package` message in `msg_dir` (.msg files; those named in `only`, when given), as
    rosidl computes it at build time."""
    from rosidl_adapter.msg import convert_msg_to_idl
    from rosidl_generator_type_description import generate_type_hash

    pkg = out / package
    (pkg / "msg").mkdir(parents=True)
    idl = []
    for f in sorted(f for f in msg_dir.glob("*.msg") if only is None or f.stem in only):
        # the reference hri_msgs spells the header ROS 1's way (`Header`); its ROS 2 releases say std_msgs/Header
        text = re.sub(r"^Header(\s)", r"std_msgs/Header\1", f.read_text(), flags=re.M)
        (pkg / "msg" / f.name).write_text(text)
        with contextlib.redirect_stdout(io.StringIO()):  # it prints each file it converts
            convert_msg_to_idl(pkg, package, Path("msg") / f.name, pkg / "msg")
        idl.append(f"{pkg}:msg/{f.stem}.idl")
    args = out / "args.json"
    args.write_text(json.dumps({"package_name": package, "output_dir": str(out / "hashes"), "idl_tuples": idl,
                                "include_paths": [f"{p}:{_prefix_share(p)}" for p in DEPENDENCIES[package]]}))
    hashes = {}
    for path in generate_type_hash(str(args)):
        top = json.loads(path.read_text())["type_hashes"][0]
        hashes[top["type_name"].split("/")[-1]] = top["hash_string"]
    return hashes


def test_repository_definitions_hash_as_upstream_vision_msgs(tmp_path):
    assert type_hashes(REPO / "interfaces/vision_msgs/msg", tmp_path) == UPSTREAM_RIHS01


def test_repository_definitions_hash_as_upstream_hri_msgs(tmp_path):
    assert type_hashes(REPO / "interfaces/hri_msgs/msg", tmp_path, "hri_msgs") == HRI_RIHS01


def test_repository_definitions_hash_as_upstream_tf2_msgs(tmp_path):
    assert type_hashes(REPO / "interfaces/tf2_msgs/msg", tmp_path, "tf2_msgs") == TF2_RIHS01


PINNED = [("vision_msgs", UPSTREAM_RIHS01), ("hri_msgs", HRI_RIHS01)]


@pytest.mark.parametrize("package, pinned", PINNED)
def test_pinned_hash_is_upstreams(tmp_path, package, pinned):
    upstream = SHARED / f"interfaces/{package}/msg"
    if not upstream.is_dir():
        skip_without_shared(f"the upstream {package} definitions (interfaces/{package})")
    theirs = type_hashes(upstream, tmp_path, package, only=set(pinned))
    assert {t: theirs[t] for t in pinned} == pinned


@pytest.mark.parametrize("package, pinned", PINNED)
def test_built_messages_carry_the_upstream_hash(vision_msgs, package, pinned):
    """The generated type support in use (the system's package, or the copy set-up built) has that hash."""
    for name, want in pinned.items():
        built = json.loads((_prefix_share(package) / f"msg/{name}.json").read_text())
        assert built["type_hashes"][0]["hash_string"] == want, name


@pytest.mark.parametrize("package", ["vision_msgs", "hri_msgs"])
def test_copy_is_never_built_by_a_workspace_colcon_build(package):
    """COLCON_IGNORE: in a workspace holding this repository, colcon must find the real package only."""
    assert (REPO / f"interfaces/{package}/COLCON_IGNORE").is_file()
