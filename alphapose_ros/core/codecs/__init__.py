"""Decoders from network output maps to keypoints: heatmap argmax, SIKR, flip test."""
