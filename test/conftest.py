"""Shared fixtures: where the reference material is, and clean skips when it is not."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Recorded upstream numbers and checkpoint layout lists: part of the repository (test/data/reference).
REFERENCE = REPO / "test" / "data" / "reference"
# AlphaPose's own files (its YAML configs, yolov3-spp.cfg, the full-model vectors with their weights) are
# not ours to ship: our CI has them beside the clone, a user's clone does not.
SHARED = Path(os.environ.get("ALPHAPOSE_ROS_SHARED", REPO.parent / "shared"))
# Set by .ci/run: there, a test that would skip for want of ../shared fails instead.
REQUIRE_SHARED = os.environ.get("ALPHAPOSE_ROS_REQUIRE_SHARED") == "1"


# Tracking nodes keep their next track ID under $ROS_HOME (core/tracking/id_lease.py): the test run gets its own,
# and each test a fresh one (below), so IDs start at 1 in every test and the user's ~/.ros is left alone.
os.environ["ROS_HOME"] = tempfile.mkdtemp(prefix="alphapose_ros_test_ros_home_")


@pytest.fixture(autouse=True)
def fresh_ros_home(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("ROS_HOME", str(tmp_path_factory.mktemp("ros_home")))


def skip_without_shared(what: str) -> None:
    """Skip (a user's clone) or fail (CI, where ../shared must be present) for a missing ../shared item."""
    msg = f"{what} not found (the project's CI has it in {SHARED})"
    if REQUIRE_SHARED:
        pytest.fail(f"{msg}: ALPHAPOSE_ROS_REQUIRE_SHARED=1 forbids skipping")
    pytest.skip(msg)


@pytest.fixture(scope="session")
def reference() -> Path:
    """test/data/reference: executed upstream vectors and checkpoint layout lists."""
    return REFERENCE


def layout_config(layout: dict) -> dict:
    """An AlphaPose-style config (MODEL, DATA_PRESET, LOSS) from a checkpoint layout's recorded model facts,
    so the layout tests build their networks in any clone (AlphaPose's YAML files stay out of the repo)."""
    return {"MODEL": layout["model_cfg"], "LOSS": layout["loss"],
            "DATA_PRESET": {"TYPE": layout["data_preset_type"], "NUM_JOINTS": layout["num_joints"],
                            "IMAGE_SIZE": layout["input_size_hw"], "HEATMAP_SIZE": layout["heatmap_size_hw"]}}


def dequantise(ref: dict) -> dict:
    """A reference weights file (int8 mantissas, power-of-two exponents) as the float32 state_dict it
    encodes, exactly, in the upstream key order."""
    import torch

    assert ref["format"] == "alphapose_ref_int8_pow2_v1"
    out = {k: ref["q"][k].to(torch.float32) * (2.0 ** -ref["exp"][k]) for k in ref["q"]}
    out.update(ref["ints"])
    return {k: out[k] for k in ref["keys_in_order"]}


@pytest.fixture(scope="session")
def layout(reference):
    """layout("halpe_136__resnet__..._regression") -> (layout JSON, PoseModelConfig built from its facts)."""
    import json

    from alphapose_ros.core.models.config import parse_config

    def get(name: str):
        lay = json.loads((reference / "checkpoints" / f"{name}.json").read_text())
        return lay, parse_config(layout_config(lay), name)
    return get


@pytest.fixture(scope="session")
def alphapose_files() -> Path:
    """../shared/reference, for AlphaPose's user files (user-files/) and the full-model vectors."""
    root = SHARED / "reference"
    if not (root / "user-files").is_dir():
        skip_without_shared("AlphaPose's own config files (reference/user-files)")
    return root


@pytest.fixture(scope="session")
def ros_msgs():
    """The generated messages; a skip naming the set-up step when they are not built."""
    try:
        import alphapose_ros.msg as msgs  # noqa: F401
        import rclpy  # noqa: F401
    except ImportError as e:  # pragma: no cover - only without scripts/setup.sh
        pytest.skip(f"ROS 2 messages not importable ({e}); run `bash scripts/setup.sh` "
                    "and `source scripts/env.sh`")
    return msgs


@pytest.fixture(scope="session")
def vision_msgs(ros_msgs):
    """vision_msgs.msg: the system's, or the repository's copy that scripts/setup.sh builds."""
    return pytest.importorskip("vision_msgs.msg", reason="vision_msgs not built: run `bash scripts/setup.sh`")


@pytest.fixture(scope="session")
def message_filters(ros_msgs):
    """The real message_filters: a ROS 2 installation's, or in CI the upstream one from ../shared/ros-python."""
    try:
        import message_filters
    except ImportError:
        skip_without_shared("message_filters (a ROS 2 installation's, or ros-python/ sourced by scripts/test.sh)")
    return message_filters


@pytest.fixture()
def ros_context(vision_msgs):
    """A private rclpy context (with vision_msgs built) for node tests, shut down afterwards."""
    import rclpy

    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    yield ctx
    rclpy.try_shutdown(context=ctx)


FOOTAGE = Path(os.environ.get("ALPHAPOSE_ROS_FOOTAGE", "/usr/share/doc/opencv-doc/examples/data"))


@pytest.fixture(scope="session")
def footage() -> Path:
    """Debian opencv-doc's real footage (vtest.avi, basketball1.png, messi5.jpg)."""
    if not (FOOTAGE / "vtest.avi").is_file():
        pytest.skip(f"real footage not found in {FOOTAGE}: scripts/setup.sh installs Debian's opencv-doc "
                    "when run as root with apt; or set ALPHAPOSE_ROS_FOOTAGE")
    return FOOTAGE


@pytest.fixture(scope="session")
def mediapipe_models() -> Path:
    """The MediaPipe .tflite files, fetched by scripts/setup.sh from the PyPI wheel."""
    from alphapose_ros.core.mediapipe.assets import missing, model_dir

    if missing():
        pytest.skip(f"MediaPipe models not in {model_dir()} (scripts/setup.sh fetches them from PyPI; "
                    "offline set-up?): run python -m alphapose_ros.cli.download mediapipe")
    pytest.importorskip("ai_edge_litert", reason="ai-edge-litert (requirements/core.txt) is not installed")
    return model_dir()


# --- the fault matrix (test/fault_matrix.py): each row's result, printed at the end of a run ---------------
_FAULT_RESULTS: dict[str, list[tuple[str, str]]] = {}  # row key -> [(test id, outcome)]


def pytest_runtest_logreport(report):
    keys = getattr(report, "fault_keys", None)
    if not keys or (report.when != "call" and not (report.failed or report.skipped)):
        return
    outcome = "skipped" if report.skipped else "failed" if report.failed else "passed"
    for key in keys:
        _FAULT_RESULTS.setdefault(key, []).append((report.nodeid, outcome))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    outcome.get_result().fault_keys = [m.args[0] for m in item.iter_markers("fault")]


def pytest_terminal_summary(terminalreporter):
    """The matrix as a Markdown table (the README's reliability section is this output), when a fault
    test ran: a row holds when every test carrying it passed."""
    if not _FAULT_RESULTS:
        return
    from fault_matrix import ROWS

    tr = terminalreporter
    tr.section("fault matrix")
    tr.write_line("| attack | expected | observed | tests |")
    tr.write_line("|---|---|---|---|")
    for row in ROWS:
        got = _FAULT_RESULTS.get(row.key, [])
        n = {o: sum(1 for _, r in got if r == o) for o in ("passed", "failed", "skipped")}
        if not got:
            seen = "not run"
        elif n["failed"]:
            seen = f"**FAILS** ({n['failed']} of {len(got)} tests)"
        elif n["skipped"] == len(got):
            seen = "skipped"
        else:
            seen = f"holds ({n['passed']} test{'s' * (n['passed'] > 1)}" + (
                f", {n['skipped']} skipped" if n["skipped"] else "") + ")"
        files = sorted({nodeid.split("::")[0] for nodeid, _ in got})
        tr.write_line(f"| {row.attack} | {row.expected} | {seen} | {', '.join(f'`{f}`' for f in files)} |")
