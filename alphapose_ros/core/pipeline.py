"""The pose stages: crop + pose network, pose NMS, tracking; one frame or a concurrent stream.

The offline commands and the ROS nodes call these same functions.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, Iterator

import logging
import threading

import cv2
import numpy as np

from alphapose_ros.core.concurrent_pipeline import ConcurrentPipeline, Item, Stage, StageStats
from alphapose_ros.core.crop_tracking import CropTracker, CropTrackingSettings, RecentFrames
from alphapose_ros.core.pose.estimator import EstimatorOutput, PoseEstimator
from alphapose_ros.core.nms.oks import oks_nms, rescore, soft_oks_nms
from alphapose_ros.core.nms.parametric import PoseNMSParams, parametric_pose_nms
from alphapose_ros.core.poses import PoseSet

NMS_KINDS = ("parametric", "oks", "soft_oks", "none")
OKS_VIS_THRESH = 0.2  # AlphaPose's: keypoint scores at or below it do not count in OKS NMS
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PoseNMSConfig:
    """Which pose NMS to run after pose estimation, with its parameters."""

    kind: str = "parametric"
    params: PoseNMSParams | None = None  # None: AlphaPose's defaults for the model
    oks_thresh: float = 0.9

    def __post_init__(self) -> None:
        if self.kind not in NMS_KINDS:
            raise ValueError(f"unknown pose NMS {self.kind!r}; expected one of {NMS_KINDS}")


def apply_pose_nms(poses: PoseSet, kind: str, params: PoseNMSParams, oks_thresh: float = 0.9
                   ) -> tuple[PoseSet, list[list[int]]]:
    """Pose NMS on one frame's poses; returns kept poses (scored with the proposal score)
    and, for each, the input rows merged into it."""
    if kind not in NMS_KINDS:
        raise ValueError(f"unknown pose NMS {kind!r}; expected one of {NMS_KINDS}")
    if len(poses) == 0 or kind == "none":
        return poses, [[i] for i in range(len(poses))]
    if kind == "parametric":
        r = parametric_pose_nms(poses.boxes, poses.box_scores, poses.keypoints, poses.keypoint_scores, params)
        kept = PoseSet(poses.format_name, poses.boxes[r.picks], poses.box_scores[r.picks], r.keypoints,
                       r.keypoint_scores, r.proposal_scores,
                       embeddings=None if poses.embeddings is None else poses.embeddings[r.picks], head=poses.head)
        return kept, [m.tolist() for m in r.merged]
    # AlphaPose's OKS NMS: rescored (box score x mean of the keypoint scores above 0.2), keypoints below
    # that ignored in the OKS; the kept poses carry the rescored score. soft_oks: its Gaussian-decay variant
    # (a neighbour's score falls with the overlap instead of the neighbour going), every pose ranked
    kp, ks = poses.keypoints, poses.keypoint_scores
    flat = np.concatenate([kp, ks[..., None]], -1).reshape(len(poses), -1)
    ext = kp.max(1) - kp.min(1)
    scores = rescore(poses.box_scores, ks, OKS_VIS_THRESH)
    if kind == "soft_oks":
        keep = soft_oks_nms(flat, scores, ext[:, 0] * ext[:, 1], oks_thresh, max_dets=len(poses),
                            vis_thresh=OKS_VIS_THRESH)
    else:
        keep = oks_nms(flat, scores, ext[:, 0] * ext[:, 1], oks_thresh, vis_thresh=OKS_VIS_THRESH)
    return replace(poses.select(keep), scores=scores[keep].astype(np.float32)), [[int(i)] for i in keep]


def proposal_scores(keypoint_scores: np.ndarray, box_scores: np.ndarray) -> np.ndarray:
    """AlphaPose's person score: mean + box score + 1.25 x max of the keypoint scores."""
    if keypoint_scores.size == 0:
        return np.zeros(len(box_scores), np.float32)
    return keypoint_scores.mean(1) + box_scores + 1.25 * keypoint_scores.max(1)


def drop_non_finite(boxes: np.ndarray, box_scores: np.ndarray, out: EstimatorOutput
                    ) -> tuple[np.ndarray, np.ndarray, EstimatorOutput, int]:
    """Remove the people whose network output is NaN/Inf (broken weights, fp16 overflow): one
    NaN would poison pose NMS distances and the tracker's Kalman filter. Returns the count too."""
    ok = out.finite()
    if ok.all():
        return boxes, box_scores, out, 0
    return boxes[ok], box_scores[ok], out.select(ok), int((~ok).sum())


def one_pass_per_crop(estimator) -> None:
    """Crop tracking: a MediaPipe estimator runs one pass per crop (its second, refining pass is what a
    followed crop already is: the last pose's); other estimators are left as they are."""
    if hasattr(estimator, "refine"):
        estimator.refine = False


def pose_followed_people(crop_tracker: CropTracker, estimator, image_rgb: np.ndarray, t: float,
                         det_boxes: np.ndarray | None, det_scores: np.ndarray | None, det_t: float | None = None,
                         recent: RecentFrames | None = None) -> tuple[np.ndarray, np.ndarray, EstimatorOutput, int]:
    """Crop tracking on one frame: poses for the followed people and for the new ones among `det_boxes`
    (None: the detector did not run; `det_t`: the time of the image they are from, when older), the tracker
    updated. With `recent` (live), new people's boxes from an older image are first moved to where those people
    are now (`caught_up`), and this frame is kept in it. Returns the people's crop boxes, scores, the
    estimator's output and how many crops gave NaN/Inf (dropped)."""
    crops, crop_scores, followed = crop_tracker.proposals(t, det_boxes, det_scores, det_t)
    since = crop_tracker.waiting_t
    if recent is not None and since is not None and t - since > recent.spacing / 2 and not followed.all():
        new, new_scores = caught_up(crop_tracker.settings, estimator, recent, since, crops[~followed],
                                    crop_scores[~followed], t)
        crops = np.concatenate([crops[followed], new]).astype(np.float32)
        crop_scores = np.concatenate([crop_scores[followed], new_scores]).astype(np.float32)
        followed = np.arange(len(crops)) < followed.sum()
    if recent is not None:
        recent.add(t, image_rgb)
    out, people, n_bad = _pose_crops(crop_tracker, estimator, image_rgb, t, crops, followed, det_boxes is not None)
    return crops[people], crop_scores[people], out.select(people), n_bad


def _pose_crops(crop_tracker: CropTracker, estimator, image_rgb: np.ndarray, t: float, crops: np.ndarray,
                followed: np.ndarray, detected: bool) -> tuple[EstimatorOutput, np.ndarray, int]:
    """Poses in `crops`, the tracker updated; the estimator's output, which rows are people, NaN/Inf count."""
    out = estimator(image_rgb, crops)
    ok = out.finite()  # a crop with NaN/Inf output holds nobody: scored 0, so the tracker drops it
    scores = np.where(ok[:, None], np.nan_to_num(out.keypoint_scores), 0.0).astype(np.float32)
    people = crop_tracker.update(t, crops, followed, out.keypoints, scores, detected) & ok
    return out, people, int((~ok).sum())


CATCH_UP_STEPS = 4  # kept frames a late box is followed through at most, after its own: a second-late box on
                    # an overloaded graph would cost ten pose runs on one frame; with two, a walker followed in
                    # 0.6-s jumps is lost


def caught_up(settings: CropTrackingSettings, estimator, recent: RecentFrames, since: float, boxes: np.ndarray,
              scores: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
    """New people's `boxes` (and scores) from the image at time `since` (a lagging detector's) moved to where
    those people are at `t`: posed on that image, then followed through the kept frames since (at most
    CATCH_UP_STEPS of them, spread evenly, the newest included). A box with nobody on its own image is
    dropped; with no image that old kept, the boxes come back as they are."""
    frames = recent.since(since)
    if not frames:
        return boxes, scores
    ct = CropTracker(replace(settings, new_per_frame=0, confirm_frames=1, reanchor=False))
    (t0, first), rest = frames[0], frames[1:]
    if len(rest) > CATCH_UP_STEPS:
        rest = [rest[i] for i in np.unique(np.linspace(0, len(rest) - 1, CATCH_UP_STEPS).round().astype(int))]
    crops, crop_scores, followed = ct.proposals(t0, boxes, scores)
    people = _pose_crops(ct, estimator, first, t0, crops, followed, True)[1]
    kept = crop_scores[people]  # the tracker keeps its people in row order
    for tk, image in rest:
        if not len(ct):
            break
        crops, _, followed = ct.proposals(tk)
        kept = kept[_pose_crops(ct, estimator, image, tk, crops, followed, False)[1]]
    return ct.predicted(t), kept


def nms_params_for(estimator: PoseEstimator, **overrides) -> PoseNMSParams:
    """AlphaPose's parametric pose-NMS parameters for this model (keypoint layout and head), with overrides."""
    return PoseNMSParams.for_layout(estimator.format.num_keypoints, heatmap_head=estimator.head == "heatmap",
                                    **overrides)


def suppress(estimator: PoseEstimator, boxes: np.ndarray, box_scores: np.ndarray, keypoints: np.ndarray,
             keypoint_scores: np.ndarray, nms: PoseNMSConfig, embeddings: np.ndarray | None = None
             ) -> tuple[PoseSet, list[list[int]]]:
    """Pose NMS on a frame's raw poses; returns kept poses (with their embeddings, when given)
    and the input rows merged into each."""
    poses = PoseSet(estimator.format.name, boxes, box_scores, keypoints, keypoint_scores,
                    proposal_scores(keypoint_scores, box_scores), embeddings=embeddings, head=estimator.head)
    params = nms.params or nms_params_for(estimator)
    return apply_pose_nms(poses, nms.kind, params, nms.oks_thresh)


@dataclass
class Frame:
    """One input frame: BGR image (None when it could not be decoded), optionally its boxes."""

    name: str
    t: float
    image_bgr: np.ndarray | None
    boxes: np.ndarray | None = None
    box_scores: np.ndarray | None = None
    meta: object = None  # carried through untouched (e.g. the message header it came with)
    # crop tracking on a stream cut into shards (core.fleet): `restart` rebuilds the followed crops from the
    # detector alone on this frame, and `seq` (frames since the last restart) sets the detector's schedule;
    # None: the frame's position in the stream
    seq: int | None = None
    restart: bool = False


class FramePipeline:
    """Detection -> pose estimation -> pose NMS -> tracking, as four stages (a one-stage estimator, RTMO,
    finds people and poses in the pose stage; no detector runs).

    `run` streams frames through them, concurrently (bounded queues, in-order output) or
    one after another. `detector` may be None when boxes come with the frames (a detfile,
    another node). With a `crop_tracker` (videos, bags) the pose stage also follows every person
    found from its last pose (core.crop_tracking) and the detector runs on its schedule only
    (every `detect_every` frames, and at once when someone is lost or nobody is followed).
    """

    def __init__(self, estimator: PoseEstimator, detector=None, nms: PoseNMSConfig = PoseNMSConfig(),
                 tracker=None, det_batch: int = 1, crop_tracker: CropTracker | None = None):
        self.estimator = estimator
        self.detector = detector
        self.nms = nms
        self.tracker = tracker
        self.det_batch = max(1, int(det_batch))
        if getattr(estimator, "one_stage", False):
            crop_tracker = None  # a one-stage model sees the whole frame every time: no crops to follow
        self.crop_tracker = crop_tracker
        if crop_tracker is not None:
            one_pass_per_crop(estimator)
        self._detector_lock = threading.Lock()  # the pose stage may run the detector too (someone lost)
        self.last_stats: dict[str, StageStats] = {}
        self.detector_runs = 0
        self._warned_non_finite = False

    def stages(self) -> list[Stage]:
        return [Stage("detect", self._detect, self.det_batch), Stage("pose", self._pose),
                Stage("pose_nms", self._pose_nms), Stage("track", self._track)]

    def _detect(self, items: list[Item]) -> None:
        todo = []
        for it in items:
            f: Frame = it.payload
            if f.image_bgr is None or f.image_bgr.size == 0:
                it.error = "empty or undecodable image"
            elif f.boxes is not None:
                it.data["boxes"] = np.asarray(f.boxes, np.float32).reshape(-1, 4)
                it.data["box_scores"] = np.asarray(f.box_scores, np.float32).reshape(-1)
            elif getattr(self.estimator, "one_stage", False):
                continue  # RTMO: the pose stage finds the people itself
            elif self.detector is None:
                it.error = "no detector and no boxes given"
            elif self.crop_tracker is None or f.restart or self.crop_tracker.scheduled(
                    it.index if f.seq is None else f.seq):
                todo.append(it)
        if todo:
            for it, d in zip(todo, self._run_detector([it.payload.image_bgr for it in todo])):
                it.data["boxes"], it.data["box_scores"] = d.boxes, d.scores

    def _run_detector(self, images: list[np.ndarray]) -> list:
        with self._detector_lock:
            self.detector_runs += len(images)
            return self.detector.detect(images)

    def _frame_boxes(self, it: Item) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Crop tracking: this frame's detector boxes (None when it was not detected), running the detector
        here when someone was lost or nobody is followed."""
        boxes, scores = it.data.get("boxes"), it.data.get("box_scores")
        if boxes is None and self.crop_tracker.needs_detection():
            d = self._run_detector([it.payload.image_bgr])[0]
            boxes, scores = d.boxes, d.scores
        return boxes, scores

    def _pose(self, items: list[Item]) -> None:
        for it in items:
            rgb = cv2.cvtColor(it.payload.image_bgr, cv2.COLOR_BGR2RGB)  # the pose network expects RGB
            if getattr(self.estimator, "one_stage", False):
                boxes, scores, out, n_bad = drop_non_finite(*self.estimator.people(rgb))
            elif self.crop_tracker is None:
                boxes, scores = it.data["boxes"], it.data["box_scores"]
                out = self.estimator(rgb, boxes)
                boxes, scores, out, n_bad = drop_non_finite(boxes, scores, out)
            else:
                if it.payload.restart:
                    self.crop_tracker.reset()
                boxes, scores, out, n_bad = pose_followed_people(self.crop_tracker, self.estimator, rgb, it.payload.t,
                                                                 *self._frame_boxes(it))
            it.data["boxes"], it.data["box_scores"], it.data["raw"] = boxes, scores, out
            if n_bad:
                it.data["non_finite"] = n_bad
                if not self._warned_non_finite:  # once: a broken model would say it every frame
                    self._warned_non_finite = True
                    log.warning("%s: the pose network gave NaN/Inf for %d of %d people; dropped them "
                                "(said once; check the checkpoint and fp16)", it.payload.name, n_bad,
                                n_bad + len(out.keypoints))

    def _pose_nms(self, items: list[Item]) -> None:
        for it in items:
            raw = it.data["raw"]
            it.data["poses"], it.data["merged"] = suppress(self.estimator, it.data["boxes"], it.data["box_scores"],
                                                           raw.keypoints, raw.keypoint_scores, self.nms,
                                                           raw.embeddings)

    def _track(self, items: list[Item]) -> None:
        if self.tracker is None:
            return
        from alphapose_ros.core.tracking.trackers import track_poses

        for it in items:
            it.data["poses"] = track_poses(self.tracker, it.payload.t, it.data["poses"], it.payload.image_bgr)

    def run(self, frames: Iterable[Frame], queue_size: int = 4, concurrent: bool = True) -> Iterator[Item]:
        """Stream frames through the stages; items in input order with data["poses"] and
        data["merged"], or `error` set. Stage timings in `self.last_stats` afterwards."""
        pipe = ConcurrentPipeline(self.stages(), queue_size, sequential=not concurrent)
        self.last_stats = pipe.stats
        return pipe.run(frames)
