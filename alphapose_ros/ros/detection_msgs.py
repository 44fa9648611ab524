"""Detections <-> vision_msgs/Detection2DArray (person boxes; class_id "person" or "0")."""
from __future__ import annotations

import numpy as np

from alphapose_ros.core.detectors.base import Detections

PERSON = "person"


def detections_to_msg(det: Detections, header, ids: list[str] | None = None):
    """Detection2DArray carrying `header`; bbox centre/size in pixels; `ids` fill Detection2D.id."""
    from vision_msgs.msg import Detection2D, Detection2DArray, ObjectHypothesisWithPose

    out = Detection2DArray()
    out.header = header
    items = []
    for i in range(len(det)):
        x1, y1, x2, y2 = (float(v) for v in det.boxes[i])
        d = Detection2D()
        d.header = header
        d.bbox.center.position.x = (x1 + x2) / 2
        d.bbox.center.position.y = (y1 + y2) / 2
        d.bbox.size_x = x2 - x1
        d.bbox.size_y = y2 - y1
        h = ObjectHypothesisWithPose()
        h.hypothesis.class_id = PERSON if int(det.classes[i]) == 0 else str(int(det.classes[i]))
        h.hypothesis.score = float(det.scores[i])
        d.results = [h]
        if ids is not None:
            d.id = ids[i]
        items.append(d)
    out.detections = items
    return out


def msg_to_detections(msg) -> Detections:
    """Boxes of a Detection2DArray; a detection's class is person when any hypothesis says
    "person" or "0" (its score is then that hypothesis's), else the first hypothesis's."""
    n = len(msg.detections)
    boxes = np.zeros((n, 4), np.float32)
    scores = np.zeros(n, np.float32)
    classes = np.full(n, -1, np.int64)
    for i, d in enumerate(msg.detections):
        cx, cy = d.bbox.center.position.x, d.bbox.center.position.y
        boxes[i] = (cx - d.bbox.size_x / 2, cy - d.bbox.size_y / 2, cx + d.bbox.size_x / 2, cy + d.bbox.size_y / 2)
        hyps = list(d.results)
        person = [h for h in hyps if h.hypothesis.class_id in (PERSON, "0")]
        h = person[0] if person else (hyps[0] if hyps else None)
        if h is None:
            scores[i], classes[i] = 1.0, 0  # a bare box: taken as a person with full confidence
        else:
            scores[i] = h.hypothesis.score
            classes[i] = 0 if person else -1
    return Detections(boxes, scores, classes)


def people_to_detection3d(poses, header):
    """vision_msgs/Detection3DArray of the people with a 3D position (PoseSet with keypoints_3d): the box
    centre is the position, its size the extent of the valid 3D keypoints (m), id the track ID."""
    from vision_msgs.msg import Detection3D, Detection3DArray, ObjectHypothesisWithPose

    out = Detection3DArray()
    out.header = header
    items = []
    for i in np.flatnonzero(np.all(np.isfinite(poses.positions), axis=1)):
        pts = poses.keypoints_3d[i][np.isfinite(poses.keypoints_3d[i, :, 2])]
        d = Detection3D()
        d.header = header
        x, y, z = (float(v) for v in poses.positions[i])
        d.bbox.center.position.x, d.bbox.center.position.y, d.bbox.center.position.z = x, y, z
        d.bbox.center.orientation.w = 1.0
        size = pts.max(0) - pts.min(0) if len(pts) else np.zeros(3)
        d.bbox.size.x, d.bbox.size.y, d.bbox.size.z = (float(v) for v in size)
        h = ObjectHypothesisWithPose()
        h.hypothesis.class_id = PERSON
        h.hypothesis.score = float(poses.box_scores[i])
        h.pose.pose = d.bbox.center
        d.results = [h]
        if poses.track_ids[i] >= 0:
            d.id = str(int(poses.track_ids[i]))
        items.append(d)
    out.detections = items
    return out
