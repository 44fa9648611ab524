"""Thin rclpy layer: message conversion, QoS, and one node per pipeline stage."""
