"""Every command line in the README's and docs/' bash blocks exists and its flags parse, so the documents
cannot drift from the code: the package's commands are parsed by their own argparse parsers (stopped right
after parsing), launch arguments are checked against the launch file's table, scripts and executables
against the tree. A command this test does not know fails it, so none slips in unchecked."""
import argparse
import importlib
import re
import shlex
from pathlib import Path

import pytest

from alphapose_ros.ros.graph import LAUNCH_ARGUMENTS

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
ENTRY_POINTS = dict(re.findall(r'"(alphapose-[a-z-]+)=([a-z_.]+:[a-z_]+)"', (REPO / "setup.py").read_text()))
OTHER_TOOLS = ("cd", "git", "rosdep", "pip", "colcon")  # not this package's: not checked here


def command_lines(path: Path) -> list[str]:
    """The commands in a Markdown file's ```bash blocks: continuations joined, comments dropped."""
    out = []
    for block in re.findall(r"```bash\n(.*?)```", path.read_text(), re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"(^|\s)#.*$", "", line).strip()
            if line:
                out.append(line)
    return out


CASES = [pytest.param(line, id=f"{p.relative_to(REPO)}: {line[:60]}") for p in DOCS for line in command_lines(p)]


class _Parsed(Exception):
    pass


def _parse_only(monkeypatch, target: str, args: list[str]) -> None:
    """Run `module:function(args)` until its argparse parser has parsed them; a parse error fails."""
    original = argparse.ArgumentParser.parse_args

    def parse_then_stop(self, a=None, namespace=None):
        original(self, a, namespace)
        raise _Parsed

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_then_stop)
    module, function = target.split(":")
    with pytest.raises(_Parsed):
        getattr(importlib.import_module(module), function)(args)


def test_documents_have_commands():
    assert len(CASES) >= 20


@pytest.mark.parametrize("line", CASES)
def test_documented_command_exists_and_its_flags_parse(line, monkeypatch):
    words = shlex.split(line)
    head = words[0]
    if head in ("bash", "source"):
        assert (REPO / words[1]).is_file(), words[1]
    elif head == "python" and words[1] == "-m":
        _parse_only(monkeypatch, f"{words[2]}:main", words[3:])
    elif head in ENTRY_POINTS:
        if (REPO / ".ws").is_dir():  # set up: scripts/setup.sh made the launcher env.sh puts on PATH
            assert (REPO / ".ws/bin" / head).is_file(), f"{head}: not installed by scripts/setup.sh"
        _parse_only(monkeypatch, ENTRY_POINTS[head], words[1:])
    elif words[:2] == ["ros2", "launch"]:
        assert words[2:4] == ["alphapose_ros", "pipeline.launch.py"] and (REPO / "launch" / words[3]).is_file()
        names = {n for n, _, _ in LAUNCH_ARGUMENTS}
        for w in words[4:]:
            assert w.startswith("--") or w.split(":=")[0] in names, f"no launch argument {w}"
    elif words[:2] == ["ros2", "run"]:
        assert words[2] == "alphapose_ros" and (REPO / "scripts/nodes" / words[3]).is_file(), words[3]
    else:
        assert head in OTHER_TOOLS, f"unknown command {head!r}: teach this test to check it"


def test_docs_table_lists_exactly_the_launch_arguments():
    documented = re.findall(r"^\| `(\w+)` \| ", (REPO / "docs/ros.md").read_text(), re.M)
    assert documented == [name for name, _, _ in LAUNCH_ARGUMENTS]
