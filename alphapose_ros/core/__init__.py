"""ROS-free core of alphapose_ros: the paper's pipeline, one concept per module."""
