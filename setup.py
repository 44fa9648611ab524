"""pip-installable ROS-free core of alphapose_ros (`pip install -e .`).

The ROS 2 package (messages, nodes, launch files) is built with colcon from
CMakeLists.txt/package.xml; this file only serves plain Python installs.
"""
from setuptools import find_packages, setup

setup(
    name="alphapose_ros",
    version="0.1.0",
    description="Whole-body multi-person pose estimation and tracking (AlphaPose re-implementation)",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=find_packages(include=["alphapose_ros", "alphapose_ros.*"]),
    package_data={"alphapose_ros.core": ["*.json"]},
    install_requires=["numpy", "torch", "opencv-python-headless", "PyYAML", "scipy"],
    extras_require={"eval": ["pycocotools"], "bags": ["rosbags"]},
    entry_points={
        "console_scripts": [
            "alphapose-infer=alphapose_ros.cli.infer:main",
            "alphapose-download=alphapose_ros.cli.download:main",
            "alphapose-bag=alphapose_ros.cli.process_bag:main",
            "alphapose-fleet=alphapose_ros.cli.fleet:main",
            "alphapose-nms-search=alphapose_ros.cli.nms_search:main",
            "alphapose-eval=alphapose_ros.cli.evaluate:main",
            "alphapose-train=alphapose_ros.cli.train:main",
            "alphapose-make-data=alphapose_ros.cli.make_training_data:main",
            "alphapose-eval-model=alphapose_ros.cli.eval_model:main",
            "alphapose-pipeline=alphapose_ros.ros.runner:main",
            "alphapose-export=alphapose_ros.cli.export:main",
            "alphapose-fit-proposals=alphapose_ros.cli.fit_proposals:main",
        ],
    },
)
