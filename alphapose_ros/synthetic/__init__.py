"""Made-up data for tests and benchmarks: files and scenes with the layouts of real ones. The core and
the ROS nodes never import this package."""
