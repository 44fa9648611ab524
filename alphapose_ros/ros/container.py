"""The whole pipeline in one process: the graph's nodes (ros/graph.py) on one executor
(node_utils.make_executor); --no-detection, --no-tracking, --no-visualization (...) leave those stages out (the runner's flags). Stage boundaries stay
topics (intra-process DDS), so the graph is the same as with one process per node.

    ros2 run alphapose_ros pipeline --ros-args --params-file config/pipeline.yaml
"""
from __future__ import annotations

import importlib
import sys


def main(args: list[str] | None = None) -> None:
    from alphapose_ros.ros.graph import GRAPH, LEAVE_OUT_FLAGS
    from alphapose_ros.ros.node_utils import run_nodes

    argv = list(args if args is not None else sys.argv)
    left_out = set()
    for needs, flag in LEAVE_OUT_FLAGS.items():
        if flag in argv:
            argv.remove(flag)
            left_out.add(needs)
    nodes = [getattr(importlib.import_module(s.module), s.cls) for s in GRAPH if s.needs not in left_out]
    run_nodes(nodes, argv)


if __name__ == "__main__":
    main()
