"""alphapose_ros: whole-body multi-person pose estimation and tracking for ROS 2.

`alphapose_ros.core` is ROS-free; `alphapose_ros.ros` is the thin rclpy layer.
"""
# The colcon install space holds this package too, with the generated
# `alphapose_ros.msg` module next to it. When the source tree comes first on
# sys.path (development, `pip install -e .`), let Python also look in every other
# `alphapose_ros` directory on the path so that `alphapose_ros.msg` is found there.
from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)
__version__ = "0.1.0"
