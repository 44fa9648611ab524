"""The whole pipeline in one process: detection, pose estimation, pose NMS, tracking and
visualiser nodes (--no-visualizer to leave it out) on one multi-threaded executor. Stage boundaries stay topics (intra-process DDS),
so the graph is the same as with one process per node.

    ros2 run alphapose_ros pipeline --ros-args --params-file config/pipeline.yaml
"""
from __future__ import annotations

import sys


def main(args: list[str] | None = None) -> None:
    from alphapose_ros.ros.node_utils import run_nodes
    from alphapose_ros.ros.nodes.visualizer import VisualizerNode
    from alphapose_ros.ros.nodes.detection import DetectionNode
    from alphapose_ros.ros.nodes.pose_estimation import PoseEstimationNode
    from alphapose_ros.ros.nodes.pose_nms import PoseNMSNode
    from alphapose_ros.ros.nodes.tracking import TrackingNode

    argv = list(args if args is not None else sys.argv)
    nodes = [DetectionNode, PoseEstimationNode, PoseNMSNode, TrackingNode]
    if "--no-visualizer" in argv:
        argv.remove("--no-visualizer")
    else:
        nodes.append(VisualizerNode)
    run_nodes(nodes, argv)


if __name__ == "__main__":
    main()
