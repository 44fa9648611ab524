"""One module per pipeline stage; each node is a thin layer over alphapose_ros.core."""
