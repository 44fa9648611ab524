"""Multi-person tracking: Kalman filter, Multi-Stage Identity Matching, PoseFlow."""
