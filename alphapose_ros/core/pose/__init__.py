"""Top-down pose estimation: the estimator, its backends, AlphaPose crops, checkpoints and the model zoo."""
