"""The whole pipeline in one process: detection, pose estimation, pose NMS and tracking
nodes on one multi-threaded executor. Stage boundaries stay topics (intra-process DDS),
so the graph is the same as with one process per node.

    ros2 run alphapose_ros pipeline --ros-args --params-file config/pipeline.yaml
"""
from __future__ import annotations

import sys


def main(args: list[str] | None = None) -> None:
    from alphapose_ros.ros.node_utils import run_nodes
    from alphapose_ros.ros.nodes.detection import DetectionNode
    from alphapose_ros.ros.nodes.pose_estimation import PoseEstimationNode
    from alphapose_ros.ros.nodes.pose_nms import PoseNMSNode
    from alphapose_ros.ros.nodes.tracking import TrackingNode

    run_nodes([DetectionNode, PoseEstimationNode, PoseNMSNode, TrackingNode], args if args is not None else sys.argv)


if __name__ == "__main__":
    main()
