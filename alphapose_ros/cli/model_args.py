"""--pose-model and --det-model: one way to name a model on every command (a manifest name or a file)."""
from __future__ import annotations

import argparse


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--pose-model", metavar="NAME_OR_FILE",
                    help="pose model by name (rtmpose-m, rtmw-m, ...: alphapose-download --list) or an .onnx file "
                         "(an RTMPose/RTMW/DWPose release read from its inputs/outputs, or an alphapose-export); "
                         "instead of --cfg")
    ap.add_argument("--det-model", metavar="NAME_OR_FILE",
                    help="person detector by name (yolox-m-human, yolox-tiny-human) or an end-to-end .onnx file; "
                         "instead of --detector")


def add_detector_files(ap: argparse.ArgumentParser) -> None:
    """--yolo-cfg, --det-weights and --det-exported: the YOLO detectors' files, on every command that runs them."""
    ap.add_argument("--yolo-cfg", help="darknet cfg for --detector yolov3 (AlphaPose's yolov3-spp.cfg)")
    ap.add_argument("--det-weights", "--yolo-weights", dest="det_weights",
                    help="detector weights: yolov3-spp.weights, or the YOLOX release .pth")
    ap.add_argument("--det-exported", help="an alphapose-export detector-int8 file (YOLO detectors; with --engine "
                    "onnxruntime or openvino)")
