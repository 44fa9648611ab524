"""The RTMPose family as released by its authors (ONNX files): top-down SimCC models (RTMPose, RTMW,
DWPose), the one-stage RTMO, and what names, checks and runs them."""
