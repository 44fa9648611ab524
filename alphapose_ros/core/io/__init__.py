"""Inputs (images, folders, videos, detection files) and outputs (result JSON, drawings)."""
