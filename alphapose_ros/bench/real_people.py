"""Recall, precision and frames/s of the no-download pipeline on hand-labelled real footage.

    python -m alphapose_ros.bench.real_people [--modes hog:every,hog:tracked,...] [--split test]

The labels (test/data/real_people: person boxes drawn by hand on vtest.avi frames, messi5.jpg and
basketball1.png) are matched one-to-one, greedily by IoU >= 0.5, with each published pose's box: the
extent of its keypoints scoring >= 0.3, grown by --pad of its size on every side. A mode is
DETECTOR:every (the detector on every frame, a pose per box: the old behaviour) or DETECTOR:tracked
(crops from the last poses, the detector every --detect-every frames and when someone is lost).
Tracked modes run the clip from its first frame to the last labelled one, as alphapose-infer does, and
again from later first frames (--phases runs spread over one detector period), so the labelled frames are
scored at every distance from the detector's last run, not only on the frames it ran on;
every-frame modes need only the labelled frames (nothing carries over between frames), and still
images are always detection only. Frames/s is over the frames each mode ran, stages concurrent.
DETECTOR:live is the live graph's crop tracking, one frame after another: the detector on the image of
every --live-interval s (the detection node's min_interval) and its boxes used --live-lag s later (its
latency, ~0.25 s in the 10 Hz demo, and the wait for the pose node's next frame), late boxes caught up as the
pose node does (core.pipeline.caught_up).
Its frames/s would be the sequential loop's, not the graph's (the live demo prints those): not shown.
labels:every is the pose model's ceiling: the hand-drawn boxes given as a detector's (frames/s: poses only).
"""
from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from alphapose_ros.core.crop_tracking import CropTracker, CropTrackingSettings, pose_boxes
from alphapose_ros.core.tracking.matching import greedy_iou_pairs

LABELS = Path(__file__).resolve().parents[2] / "test" / "data" / "real_people" / "labels.json"
PIPELINE_PARAMS = Path(__file__).resolve().parents[2] / "config" / "pipeline.yaml"
MODES = ("labels:every,hog:every,hog-small:every,hog-small:tracked,hog-small:live,blazepose:every,"
         "blazepose:tracked")
REPLAYED = "hog-small:tracked"  # the default, whose work the INT8 replay times


@dataclass
class Score:
    found: int = 0     # labelled people matched by a pose
    people: int = 0    # labelled people (not ignored)
    poses: int = 0     # poses published, less those on ignored people
    frames: int = 0
    seconds: float = 0.0

    @property
    def recall(self) -> float:
        return self.found / max(self.people, 1)

    @property
    def precision(self) -> float:
        return self.found / max(self.poses, 1)


def match(labels: list[dict], boxes: np.ndarray, iou: float = 0.5) -> tuple[int, int, int]:
    """(people found, labelled people, poses counted): greedy one-to-one matching by IoU; poses matching
    an ignored label count neither way."""
    gt = np.array([p["box"] for p in labels], np.float32).reshape(-1, 4)
    ignore = np.array([bool(p.get("ignore")) for p in labels], bool)
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    pairs = greedy_iou_pairs(gt, boxes, iou)
    on_ignored = sum(bool(ignore[g]) for g, _ in pairs)
    return len(pairs) - on_ignored, int((~ignore).sum()), len(boxes) - on_ignored


def published_boxes(poses, pad: float) -> np.ndarray:
    b = pose_boxes(poses.keypoints, poses.keypoint_scores, 0.3, pad)
    return b[np.isfinite(b).all(1)]


def detection_min_interval() -> float:
    """The live detection node's default schedule (s of image time between runs), which live mode replays."""
    import yaml

    return float(yaml.safe_load(PIPELINE_PARAMS.read_text())["detection"]["ros__parameters"]["min_interval"])


def build(detector: str, tile: int):
    from alphapose_ros.core.detectors.factory import make_detector
    from alphapose_ros.core.pose.backends import make_pose_estimator

    det = make_detector(detector, confidence=0.5 if detector == "blazepose" else 0.1, tile=tile)
    return det, make_pose_estimator("mediapipe")


def run_mode(mode: str, images: list[dict], footage: Path, a: argparse.Namespace, workload=None) -> Score:
    """Score one mode over the labelled images of the chosen split; `workload` (bench.int8_replay.Workload)
    records what its detector and pose stage did on the video's frames."""
    from alphapose_ros.core.pipeline import FramePipeline, PoseNMSConfig, nms_params_for

    detector, how = mode.split(":")
    if detector == "labels":
        return run_labels(images, footage, mode, a.pad)
    det, est = build(detector, a.tile if detector == "blazepose" else 0)
    if how == "live":
        return run_live(det, est, images, footage, a)
    nms = PoseNMSConfig("parametric", nms_params_for(est))
    score = Score()
    video = [e for e in images if "frame" in e]
    stills = [e for e in images if "frame" not in e]
    if workload is not None:
        from alphapose_ros.bench.int8_replay import RecordingDetector

        det = RecordingDetector(det)
    wanted = {e["frame"]: e for e in video}
    for first in (phase_starts(a.detect_every, a.phases) if how == "tracked" and video else [0] if video else []):
        ct = CropTracker(CropTrackingSettings(detect_every=a.detect_every)) if how == "tracked" else None
        pipe = FramePipeline(est, det, nms, crop_tracker=ct)
        frames = read_video(footage / video[0]["file"], set(wanted) if how == "every" else None, max(wanted), first)
        t0 = time.perf_counter()
        n = 0
        for item in pipe.run(frames):
            n += 1
            if workload is not None and first == 0:
                if det.ran_on(item.payload.image_bgr):
                    workload.detected.add(item.payload.meta)
                workload.crops[item.payload.meta] = item.data.get("boxes")
            if item.error is not None:  # a benchmark that scores broken frames as empty ones would mislead
                raise SystemExit(f"{mode}: frame {item.payload.meta}: {item.error}")
            e = wanted.get(item.payload.meta)
            if e is not None:
                _add(score, e, published_boxes(item.data["poses"], a.pad))
        score.seconds += time.perf_counter() - t0
        score.frames += n
    return score_stills(score, stills, det, est, footage, mode, a)


def score_stills(score: Score, stills: list[dict], det, est, footage: Path, mode: str, a: argparse.Namespace
                 ) -> Score:
    """Add still images to `score`: detection and poses on each (nothing to follow)."""
    from alphapose_ros.core.pipeline import Frame, FramePipeline, PoseNMSConfig, nms_params_for

    nms = PoseNMSConfig("parametric", nms_params_for(est))
    for e in stills:
        _score_frame(score, FramePipeline(est, det, nms), Frame(e["file"], 0.0, read_still(footage, e)), e, mode,
                     a.pad)
    return score


def run_labels(images: list[dict], footage: Path, mode: str, pad: float) -> Score:
    """The pose model's ceiling: each labelled image posed in the hand-drawn boxes (ignored people's too, as a
    detector would see them) instead of a detector's, nothing carried between frames."""
    from alphapose_ros.core.pipeline import Frame, FramePipeline, PoseNMSConfig, nms_params_for
    from alphapose_ros.core.pose.backends import make_pose_estimator

    est = make_pose_estimator("mediapipe")
    pipe = FramePipeline(est, None, PoseNMSConfig("parametric", nms_params_for(est)))
    video = [e for e in images if "frame" in e]
    wanted = {e["frame"]: e for e in video}
    frames = [(wanted[f.meta], f.image_bgr) for f in read_video(footage / video[0]["file"], set(wanted),
                                                                 max(wanted))] if video else []
    frames += [(e, read_still(footage, e)) for e in images if "frame" not in e]
    score = Score()
    for e, img in frames:
        boxes = np.array([p["box"] for p in e["people"]], np.float32).reshape(-1, 4)
        _score_frame(score, pipe, Frame(e["file"], 0.0, img, boxes, np.ones(len(boxes), np.float32)), e, mode, pad)
    return score


def read_still(footage: Path, e: dict) -> np.ndarray:
    """A labelled still image (BGR); a missing one stops the benchmark with the fix."""
    img = cv2.imread(str(footage / e["file"]))
    if img is None:
        raise SystemExit(f"cannot read {footage / e['file']} (install Debian's opencv-doc)")
    return img


def _score_frame(score: Score, pipe, frame, e: dict, mode: str, pad: float) -> None:
    """Run one frame through `pipe` (no concurrency: nothing to overlap) and add its poses to `score`, timed."""
    t0 = time.perf_counter()
    item = next(iter(pipe.run([frame], concurrent=False)))
    score.seconds += time.perf_counter() - t0
    score.frames += 1
    if item.error is not None:  # a benchmark that scores broken frames as empty ones would mislead
        raise SystemExit(f"{mode}: {e['file']}: {item.error}")
    _add(score, e, published_boxes(item.data["poses"], pad))


def run_live(det, est, images: list[dict], footage: Path, a: argparse.Namespace) -> Score:
    """Score the live graph's crop tracking, one frame after another (see the module's docstring)."""
    from alphapose_ros.core.crop_tracking import RecentFrames
    from alphapose_ros.core.pipeline import PoseNMSConfig, one_pass_per_crop, pose_followed_people, suppress

    one_pass_per_crop(est)
    nms = PoseNMSConfig("parametric")
    score = Score()
    video = [e for e in images if "frame" in e]
    wanted = {e["frame"]: e for e in video}
    fps = video_fps(footage / video[0]["file"]) if video else 10.0
    for first in phase_starts(max(1, round(a.live_interval * fps)), a.phases) if video else []:
        ct, recent, pending, last_run = CropTracker(), RecentFrames(), [], None
        for f in read_video(footage / video[0]["file"], None, max(wanted), first):
            if f.image_bgr is None:
                raise SystemExit(f"live: frame {f.meta} unreadable")
            if last_run is None or f.t - last_run >= a.live_interval - 1e-6:
                last_run = f.t  # the detection node's run on this image, answered live_lag s later
                pending.append((f.t + a.live_lag, f.t, det.detect([f.image_bgr])[0]))
            due = [p for p in pending if p[0] <= f.t + 1e-6]
            pending = pending[len(due):]
            det_t, boxes, scores = (due[-1][1], due[-1][2].boxes, due[-1][2].scores) if due else (None, None, None)
            boxes, scores, out, _ = pose_followed_people(ct, est, cv2.cvtColor(f.image_bgr, cv2.COLOR_BGR2RGB), f.t,
                                                         boxes, scores, det_t, recent)
            e = wanted.get(f.meta)
            if e is not None:
                poses = suppress(est, boxes, scores, out.keypoints, out.keypoint_scores, nms)[0]
                _add(score, e, published_boxes(poses, a.pad))
    return score_stills(score, [e for e in images if "frame" not in e], det, est, footage, "live", a)


def _add(score: Score, e: dict, boxes: np.ndarray) -> None:
    f, p, n = match(e["people"], boxes)
    score.found += f
    score.people += p
    score.poses += n


def phase_starts(period: int, phases: int) -> list[int]:
    """First frames of `phases` runs spread evenly over one detector `period` (frames): 0 first."""
    n = max(1, min(phases, period))
    return sorted({round(k * period / n) for k in range(n)})


def video_fps(path: Path) -> float:
    cap = cv2.VideoCapture(str(path))
    try:
        return cap.get(cv2.CAP_PROP_FPS) or 10.0
    finally:
        cap.release()


def read_video(path: Path, only: set[int] | None, last: int, first: int = 0):
    """Frames first..last of a video (only the indices in `only` when given), as pipeline Frames whose meta is
    the frame index; times from the clip's frame rate."""
    from alphapose_ros.core.pipeline import Frame

    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise SystemExit(f"cannot open {path} (install Debian's opencv-doc)")
    fps = cap.get(cv2.CAP_PROP_FPS) or 10.0
    try:
        for i in range(last + 1):
            ok = cap.grab()
            if not ok:
                return
            if i >= first and (only is None or i in only):
                ok, img = cap.retrieve()
                yield Frame(f"{i}.jpg", i / fps, img if ok else None, meta=i)
    finally:
        cap.release()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labels", type=Path, default=LABELS)
    ap.add_argument("--footage", type=Path, default=None, help="folder of the footage (default: the labels' own)")
    ap.add_argument("--split", default="test", help="test (reported) or dev (where settings were chosen)")
    ap.add_argument("--modes", default=MODES, help="comma-separated DETECTOR:every|tracked|live")
    ap.add_argument("--detect-every", type=int, default=CropTrackingSettings().detect_every)
    ap.add_argument("--tile", type=int, default=192, help="blazepose: tile size")
    ap.add_argument("--phases", type=int, default=3,
                    help="tracked and live modes: runs, their first frames spread over one detector period")
    ap.add_argument("--live-interval", type=float, default=detection_min_interval(),
                    help="live: s of image time between detector runs (default: the detection node's min_interval)")
    ap.add_argument("--live-lag", type=float, default=0.3, help="live: s from an image to its detections' use")
    ap.add_argument("--pad", type=float, default=0.1, help="pose box: keypoint extent grown by this per side")
    ap.add_argument("--int8-replay", action=argparse.BooleanOptionalAction, default=True,
                    help="also time FastPose-50 + YOLOX-nano INT8 (random weights: speed only) doing the work of "
                         f"{REPLAYED} (bench.int8_replay)")
    ap.add_argument("--json", type=Path, help="also write the rows here")
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    doc = json.loads(a.labels.read_text())
    footage = a.footage or Path(doc["footage_dir"])
    images = [e for e in doc["images"] if e["split"] == a.split]
    print(f"{a.labels.name}: {len(images)} {a.split} images, "
          f"{sum(not p.get('ignore') for e in images for p in e['people'])} people; IoU 0.5; "
          f"detect every {a.detect_every} frames when tracked; tracked and live modes scored over {a.phases} runs "
          "starting at spread phases of the detector's schedule")
    print("| mode | recall | precision | frames/s |\n|---|---|---|---|")
    rows = []
    workload = None
    for mode in filter(None, a.modes.split(",")):
        if a.int8_replay and mode == REPLAYED:
            from alphapose_ros.bench.int8_replay import Workload

            workload = Workload()
        s = run_mode(mode, images, footage, a, workload if mode == REPLAYED else None)
        live = mode.endswith(":live")
        fps = None if live else s.frames / s.seconds
        rows.append({"mode": mode, "recall": s.recall, "precision": s.precision, "found": s.found,
                     "people": s.people, "poses": s.poses, "frames": s.frames, "fps": fps})
        rate = f"- (detector every {a.live_interval:g} s, boxes {a.live_lag:g} s late)" if live else \
            f"{fps:.1f} ({s.frames} frames)"
        print(f"| {mode} | {s.recall:.2f} ({s.found}/{s.people}) | {s.precision:.2f} ({s.found}/{s.poses}) | "
              f"{rate} |", flush=True)
    if workload is not None and workload.crops:
        from alphapose_ros.bench.int8_replay import replay

        video = [e for e in images if "frame" in e]
        fps, ms = replay(footage / video[0]["file"], workload, max(e["frame"] for e in video))
        rows.append({"mode": "fastpose50+yolox-nano int8 replay", "fps": fps, "stage_ms": ms})
        print(f"| FastPose-50 + YOLOX-nano, INT8 on ONNX Runtime (random weights: speed only), doing {REPLAYED}'s "
              f"work | - | - | {fps:.1f} ({len(workload.crops)} frames; detect {ms['detect']:.1f}, pose "
              f"{ms['pose']:.1f} ms per frame) |", flush=True)
    if a.json:
        from alphapose_ros.core.io.results import write_json

        write_json(a.json, rows)


if __name__ == "__main__":
    main()
