"""People in 3D: keypoints lifted with a registered depth image."""
