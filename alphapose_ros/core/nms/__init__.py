"""Removing duplicate poses: parametric pose NMS (the paper) and OKS NMS."""
