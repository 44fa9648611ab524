"""The package's two layers stay apart: the core imports no ROS, and no module imports its way back
to itself (imports inside functions included)."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "alphapose_ros"


def _imports() -> dict[str, set[str]]:
    """module -> the package modules it imports anywhere in its body."""
    mods = {}
    for p in PACKAGE.rglob("*.py"):
        name = ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        mods[name] = p
    graph = {}
    for name, p in mods.items():
        deps = set()
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("alphapose_ros"):
                deps |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in mods else node.module
                         for a in node.names}
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names}
        graph[name] = deps
    return graph


def _cycle_from(start: str, graph: dict[str, set[str]]) -> list[str] | None:
    path, seen = [start], set()

    def walk(v: str) -> bool:
        for w in sorted(graph.get(v, ())):
            if w == start:
                return True
            if w in graph and w not in seen:
                seen.add(w)
                path.append(w)
                if walk(w):
                    return True
                path.pop()
        return False
    return path if walk(start) else None


def test_no_module_imports_its_way_back_to_itself():
    graph = _imports()
    cycles = [c for m in sorted(graph) if (c := _cycle_from(m, graph))]
    assert cycles == []


def test_the_core_imports_no_ros():
    graph = _imports()
    ros = {m: sorted(d for d in deps if d.split(".")[0] in ("rclpy", "rosidl_runtime_py", "launch", "launch_ros")
                     or d.startswith("alphapose_ros.ros") or d.startswith("alphapose_ros.msg"))
           for m, deps in graph.items() if m.startswith("alphapose_ros.core")}
    assert {m: d for m, d in ros.items() if d} == {}


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle_from("a", {"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c"]
    assert _cycle_from("a", {"a": {"b"}, "b": set()}) is None


def test_the_core_and_the_nodes_import_no_made_up_data_and_tests_take_scenes_from_synthetic():
    graph = _imports()
    made_up = {m: sorted(d for d in deps if d.startswith(("alphapose_ros.synthetic", "alphapose_ros.bench",
                                                           "alphapose_ros.harness")))
               for m, deps in graph.items() if m.startswith(("alphapose_ros.core", "alphapose_ros.ros.nodes"))}
    assert {m: d for m, d in made_up.items() if d} == {}
    generators = {p.stem for p in (PACKAGE / "synthetic").glob("*.py")} - {"__init__"}
    assert {"figures", "tracking_scenes", "rendered_scenes", "rgbd_scenes", "fall_sequences", "pose_candidates"} <= generators
    leftovers = [p.name for p in PACKAGE.rglob("*.py")
                 if p.stem in ("figures", "rendered_scenes", "rgbd_scenes", "synthetic") and p.parent.name != "synthetic"]
    assert leftovers == []


def test_the_core_root_holds_at_most_eight_modules_the_rest_grouped_by_concept():
    root = sorted(p.name for p in (PACKAGE / "core").glob("*.py") if p.name != "__init__.py")
    assert len(root) <= 8, root
    for concept in ("pose", "nms", "people3d", "behaviour", "tracking", "detectors", "codecs", "rtm"):
        assert (PACKAGE / "core" / concept / "__init__.py").is_file(), concept


def test_only_the_benchmarks_own_tests_import_the_benchmarks():
    """Test support lives in alphapose_ros.harness (shared with the benchmarks) or beside the tests; a test
    outside test/bench that needs bench code is testing the benchmark and belongs there."""
    tests = PACKAGE.parent / "test"
    wrong = []
    for p in tests.rglob("*.py"):
        if p.parent.name == "bench" and p.parent.parent == tests:
            continue
        for node in ast.walk(ast.parse(p.read_text())):
            names = [f"{node.module}.{a.name}" for a in node.names] if isinstance(node, ast.ImportFrom) else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if any(n == "alphapose_ros.bench" or n.startswith("alphapose_ros.bench.") for n in names):
                wrong.append(str(p.relative_to(tests)))
    assert sorted(set(wrong)) == []


def test_test_file_names_are_unique():
    """The test folders are no packages: two test files of one name cannot both be collected in one run."""
    names = [p.name for p in (PACKAGE.parent / "test").rglob("test_*.py")]
    assert sorted({n for n in names if names.count(n) > 1}) == []
