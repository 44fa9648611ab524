"""Synthetic articulated people with exact Halpe-136 labels, drawn over real backgrounds.

No human dataset can be downloaded here, so training data is made: each figure is posed by
sampled joint angles (body, feet, 21-point hands, 68-point face), drawn as coloured limbs,
head, face features and fingers, several per image and overlapping (nearer ones drawn
last). Labels are COCO-style (x, y, v): v=2 visible, 1 covered by a nearer figure, 0 not
labelled (outside the image; the face of a figure seen from behind).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

K = 136  # Halpe-136: 0-16 COCO body, 17 head, 18 neck, 19 hip, 20-25 feet, 26-93 face, 94-114 / 115-135 hands
FACE0, LHAND0, RHAND0 = 26, 94, 115


def _face_template() -> np.ndarray:
    """The 68 face landmarks in unit face coordinates (x right in the image, y down), in the
    68-point order: jaw from the person's right, brows, nose, eyes, mouth."""
    t = np.linspace(0, 1, 17)
    jaw = np.stack([-np.cos(np.pi * t) * 0.95, -0.2 + 1.2 * np.sin(np.pi * t)], 1)
    s = np.linspace(0, 1, 5)
    brow_r = np.stack([-0.75 + 0.6 * s, -0.45 - 0.1 * np.sin(np.pi * s)], 1)
    brow_l = brow_r[::-1] * [-1, 1]
    bridge = np.stack([np.zeros(4), np.linspace(-0.3, 0.15, 4)], 1)
    nostrils = np.array([[-0.18, 0.28], [-0.09, 0.31], [0, 0.33], [0.09, 0.31], [0.18, 0.28]])
    eye_r = np.array([[-0.6, -0.22], [-0.47, -0.3], [-0.33, -0.3], [-0.2, -0.22], [-0.33, -0.15], [-0.47, -0.15]])
    eye_l = np.array([[0.2, -0.22], [0.33, -0.3], [0.47, -0.3], [0.6, -0.22], [0.47, -0.15], [0.33, -0.15]])
    mouth = np.array([[-0.35, 0.55], [-0.22, 0.48], [-0.08, 0.45], [0, 0.47], [0.08, 0.45], [0.22, 0.48],
                      [0.35, 0.55], [0.22, 0.64], [0.08, 0.68], [0, 0.69], [-0.08, 0.68], [-0.22, 0.64]])
    inner = np.array([[-0.28, 0.55], [-0.1, 0.52], [0, 0.53], [0.1, 0.52], [0.28, 0.55], [0.1, 0.6],
                      [0, 0.61], [-0.1, 0.6]])
    return np.concatenate([jaw, brow_r, brow_l, bridge, nostrils, eye_r, eye_l, mouth, inner])


FACE = _face_template()


def _rot(v: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return v @ np.array([[c, s], [-s, c]])


def _unit(a: float) -> np.ndarray:
    """Direction at `a` radians from straight down (positive: towards image right)."""
    return np.array([np.sin(a), np.cos(a)])


@dataclass
class Figure:
    keypoints: np.ndarray   # (136,2) image px
    back: bool              # seen from behind: no face labels
    height: float           # px, feet to head top
    colours: dict
    limb_scale: float


def pose_figure(rng: np.random.Generator, hip: np.ndarray, height: float, look: dict | None = None) -> Figure:
    """Sample one figure's 136 keypoints: joint angles, facing (yaw), lean, head roll; its colours
    are `look` (an identity's, from identity_looks) or random."""
    H = height
    yaw = rng.uniform(-1.2, 1.2) if rng.random() < 0.8 else np.pi + rng.uniform(-1.0, 1.0)
    c, sy = np.cos(yaw), np.sin(yaw)
    lean = rng.normal(0, 0.12)
    up = -_unit(lean)  # hip -> neck
    side = np.array([-up[1], up[0]])  # the torso's image-right direction
    kp = np.zeros((K, 2))
    neck = hip + up * 0.30 * H
    kp[19], kp[18] = hip, neck
    sh = 0.11 * H * c  # person's left is image right when facing the camera (c > 0)
    kp[5], kp[6] = neck + side * sh + up * -0.02 * H, neck - side * sh + up * -0.02 * H
    kp[11], kp[12] = hip + side * 0.07 * H * c, hip - side * 0.07 * H * c
    for s, (sh_i, el, wr) in ((1, (5, 7, 9)), (-1, (6, 8, 10))):
        a0 = s * np.sign(c) * rng.uniform(-0.3, 2.4) + lean  # upper arm from straight down
        kp[el] = kp[sh_i] + _unit(a0) * 0.16 * H
        a1 = a0 + s * np.sign(c) * rng.uniform(0, 2.2) * rng.choice([1, -0.3])
        kp[wr] = kp[el] + _unit(a1) * 0.14 * H
        hand0 = LHAND0 if s == 1 else RHAND0
        kp[hand0:hand0 + 21] = _hand(rng, kp[wr], a1 + rng.uniform(-0.4, 0.4), H, s * np.sign(c))
    for s, (hp, kn, an) in ((1, (11, 13, 15)), (-1, (12, 14, 16))):
        a0 = s * rng.uniform(-0.15, 0.5) * (1 if rng.random() < 0.8 else 2.2)
        kp[kn] = kp[hp] + _unit(a0) * 0.24 * H
        a1 = a0 + rng.uniform(-1.2, 0.3) * np.sign(rng.normal() + 0.3 * s)
        kp[an] = kp[kn] + _unit(a1) * 0.23 * H
        f = _unit(a1 + np.sign(sy) * min(abs(sy), 1.0) * 1.2 * rng.uniform(0.3, 1.0)) * 0.6 + np.array([0.0, 0.4])
        f /= np.linalg.norm(f)
        perp = np.array([-f[1], f[0]]) * s * np.sign(c)
        big, small, heel = (20, 22, 24) if s == 1 else (21, 23, 25)
        kp[big] = kp[an] + f * 0.07 * H + perp * 0.012 * H
        kp[small] = kp[an] + f * 0.06 * H - perp * 0.015 * H
        kp[heel] = kp[an] - f * 0.02 * H + np.array([0, 0.015 * H])
    roll = lean + rng.normal(0, 0.15)
    r = 0.065 * H
    head = neck - _unit(roll) * 0.085 * H
    kp[17] = head + _rot(np.array([0.0, -r]), roll)
    face_c = head + _rot(np.array([sy * 0.35 * r, 0.12 * r]), roll)
    face = face_c + _rot(FACE * [0.8 * r * abs(c), 0.85 * r], roll)
    if c < 0:  # from behind the face would be mirrored; it is not labelled anyway
        face = face_c + _rot(FACE * [-0.8 * r * abs(c), 0.85 * r], roll)
    kp[FACE0:FACE0 + 68] = face
    kp[0] = face[30]
    kp[1], kp[2] = face[42:48].mean(0), face[36:42].mean(0)
    kp[3] = head + _rot(np.array([0.95 * r * c - 0.3 * r * sy, 0.0]), roll)
    kp[4] = head + _rot(np.array([-0.95 * r * c - 0.3 * r * sy, 0.0]), roll)
    colours = random_colours(rng) if look is None else look
    return Figure(kp, c < 0, H, colours, float(rng.uniform(0.85, 1.15)))


def random_colours(rng: np.random.Generator) -> dict:
    """Skin, clothes and hair colours, and whether the sleeves are long."""
    return {"skin": tuple(int(v) for v in rng.integers(60, 230, 3)),
            "shirt": tuple(int(v) for v in rng.integers(0, 256, 3)),
            "trousers": tuple(int(v) for v in rng.integers(0, 200, 3)),
            "shoes": tuple(int(v) for v in rng.integers(0, 120, 3)),
            "hair": tuple(int(v) for v in rng.integers(0, 120, 3)),
            "long_sleeves": bool(rng.random() < 0.5)}


def identity_looks(n: int, seed: int) -> list[dict]:
    """`n` people's own appearance, kept across images: colours plus a shirt pattern (plain, or stripes
    of a second colour at a given angle and period), so that a re-ID network has something to learn."""
    rng = np.random.default_rng([seed, 7919])
    looks = []
    for _ in range(n):
        look = random_colours(rng)
        if rng.random() < 0.7:
            look["pattern"] = {"colour": tuple(int(v) for v in rng.integers(0, 256, 3)),
                               "angle": float(rng.uniform(0, np.pi)), "period": float(rng.uniform(0.03, 0.09))}
        looks.append(look)
    return looks


def _shirt_pattern(canvas: np.ndarray, polygon: np.ndarray, pattern: dict, height: float) -> None:
    """Stripes of pattern["colour"] over the shirt polygon, in the figure's own scale."""
    x0, y0 = np.maximum(polygon.min(0), 0)
    x1, y1 = np.minimum(polygon.max(0) + 1, [canvas.shape[1], canvas.shape[0]])
    if x1 <= x0 or y1 <= y0:
        return
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillConvexPoly(mask, polygon - [x0, y0], 1)
    yy, xx = np.mgrid[y0:y1, x0:x1]
    a = pattern["angle"]
    phase = (xx * np.cos(a) + yy * np.sin(a)) / max(pattern["period"] * height, 2.0)
    on = (mask > 0) & (np.floor(phase) % 2 == 0)
    canvas[y0:y1, x0:x1][on] = pattern["colour"]


def _hand(rng: np.random.Generator, wrist: np.ndarray, angle: float, H: float, side: float) -> np.ndarray:
    """21 hand points (wrist, thumb 4, index/middle/ring/pinky 4 each) from the wrist."""
    d = _unit(angle)
    perp = np.array([-d[1], d[0]]) * side
    out = np.zeros((21, 2))
    out[0] = wrist
    curl = rng.uniform(0, 0.7)
    spread = rng.uniform(0.6, 1.4)
    base = wrist + d * 0.025 * H + perp * 0.014 * H
    a = angle - side * 0.6 * spread
    out[1] = base
    for j in range(3):
        a += side * curl * 0.5
        out[2 + j] = out[1 + j] + _unit(a) * (0.018 - 0.003 * j) * H
    lengths = {0: 0.022, 1: 0.024, 2: 0.022, 3: 0.018}
    for f in range(4):
        mcp = wrist + d * 0.045 * H + perp * (0.012 - 0.008 * f) * H
        a = angle + side * (0.15 - 0.1 * f) * spread
        out[5 + 4 * f] = mcp
        for j in range(3):
            a -= side * curl
            out[6 + 4 * f + j] = out[5 + 4 * f + j] + _unit(a) * lengths[f] * (1 - 0.25 * j) * H
    return out


def _pt(p: np.ndarray) -> tuple[int, int]:
    return int(round(p[0])), int(round(p[1]))


def draw_figure(canvas: np.ndarray, fig: Figure, mask_value: int | None = None) -> None:
    """Draw a figure into `canvas` (BGR), or its silhouette (`mask_value`) into a 1-channel mask."""
    kp, H, col = fig.keypoints, fig.height, fig.colours

    def c(name: str):
        return mask_value if mask_value is not None else col[name]

    def line(a, b, colour, width):
        cv2.line(canvas, _pt(kp[a]), _pt(kp[b]), colour, max(1, int(width * H * fig.limb_scale)), cv2.LINE_AA)

    for hp, kn, an, big, small, heel in ((11, 13, 15, 20, 22, 24), (12, 14, 16, 21, 23, 25)):
        line(hp, kn, c("trousers"), 0.085)
        line(kn, an, c("trousers"), 0.07)
        cv2.fillConvexPoly(canvas, np.array([_pt(kp[i]) for i in (heel, big, small)]), c("shoes"), cv2.LINE_AA)
        line(an, heel, c("shoes"), 0.04)
    torso = np.array([_pt(kp[5]), _pt(kp[6]), _pt(kp[12] + (kp[12] - kp[11]) * 0.25),
                      _pt(kp[11] + (kp[11] - kp[12]) * 0.25)])
    cv2.fillConvexPoly(canvas, torso, c("shirt"), cv2.LINE_AA)
    if mask_value is None and "pattern" in col:
        _shirt_pattern(canvas, torso, col["pattern"], H)
    line(18, 17, c("skin"), 0.05)
    r = int(round(0.065 * H))
    head = (kp[17] + (kp[3] + kp[4]) / 2) / 2
    cv2.circle(canvas, _pt(head), max(1, r), c("skin"), -1, cv2.LINE_AA)
    top = kp[17] - head
    angle = float(np.degrees(np.arctan2(top[1], top[0])))
    span = 360 if fig.back else 170
    cv2.ellipse(canvas, _pt(head), (max(1, r), max(1, r)), angle, -span / 2, span / 2, c("hair"), -1, cv2.LINE_AA)
    if not fig.back and mask_value is None:
        f = kp[FACE0:FACE0 + 68]
        w = max(1, int(0.01 * H))
        for a, b in ((17, 22), (22, 27), (27, 31), (31, 36), (36, 42), (42, 48), (48, 60), (60, 68)):
            cv2.polylines(canvas, [np.round(f[a:b]).astype(np.int32)], a >= 36, (30, 30, 40) if a < 48 else
                          (60, 40, 150), w, cv2.LINE_AA)
    for sh, el, wr, hand0 in ((5, 7, 9, LHAND0), (6, 8, 10, RHAND0)):
        line(sh, el, c("shirt"), 0.06)
        line(el, wr, c("shirt") if col["long_sleeves"] else c("skin"), 0.05)
        hand = kp[hand0:hand0 + 21]
        cv2.fillConvexPoly(canvas, np.array([_pt(hand[i]) for i in (0, 5, 17)]), c("skin"), cv2.LINE_AA)
        for f0 in (1, 5, 9, 13, 17):
            pts = np.round(hand[[0, 1, 2, 3, 4]] if f0 == 1 else hand[f0:f0 + 4])
            cv2.polylines(canvas, [pts.astype(np.int32)], False, c("skin"), max(1, int(0.011 * H)), cv2.LINE_AA)


def background_images(folder: str | Path = "/usr/share/doc/opencv-doc/examples/data") -> list[np.ndarray]:
    """OpenCV's sample photos without people in them (buildings, fruit, scenes), as BGR."""
    names = ("building.jpg", "home.jpg", "fruits.jpg", "aero1.jpg", "aero3.jpg", "graf1.png", "graf3.png",
             "box_in_scene.png", "blox.jpg", "board.jpg", "left.jpg", "right.jpg", "apple.jpg", "orange.jpg",
             "stuff.jpg", "starry_night.jpg", "pic1.png", "pic3.png", "pic5.png", "notes.png", "sudoku.png")
    out = [cv2.imread(str(Path(folder) / n)) for n in names if (Path(folder) / n).exists()]
    return [im for im in out if im is not None and min(im.shape[:2]) >= 100]


def make_image(rng: np.random.Generator, backgrounds: list[np.ndarray], size: tuple[int, int] = (384, 288),
               max_people: int = 4, looks: list[dict] | None = None) -> tuple[np.ndarray, list[dict]]:
    """One image (BGR) and its people: [{"keypoints": (136,3) x,y,v, "bbox": xywh, "area"}]. With
    `looks`, each figure is a different one of those identities (its index is the person's "identity")
    and the image's brightness varies, as the light does between cameras."""
    w, h = size
    if backgrounds:
        bg = backgrounds[int(rng.integers(len(backgrounds)))]
        s = rng.uniform(max(w / bg.shape[1], h / bg.shape[0]), max(w / bg.shape[1], h / bg.shape[0]) * 2)
        big = cv2.resize(bg, (max(w, int(bg.shape[1] * s)), max(h, int(bg.shape[0] * s))))
        x0, y0 = int(rng.integers(0, big.shape[1] - w + 1)), int(rng.integers(0, big.shape[0] - h + 1))
        img = big[y0:y0 + h, x0:x0 + w].copy()
    else:
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    n = int(rng.integers(1, max_people + 1))
    who = [-1] * n if looks is None else [int(i) for i in rng.choice(len(looks), min(n, len(looks)), replace=False)]
    figs = []
    for i in who:
        height = rng.uniform(0.3, 0.9) * h
        hip = np.array([rng.uniform(0.1, 0.9) * w, rng.uniform(0.35, 0.75) * h])
        figs.append(pose_figure(rng, hip, height, None if i < 0 else looks[i]))
    order = sorted(range(len(figs)), key=lambda j: figs[j].keypoints[[15, 16], 1].max())  # lower feet: nearer
    figs, who = [figs[j] for j in order], [who[j] for j in order]
    masks = []
    for f in figs:
        draw_figure(img, f)
        m = np.zeros((h, w), np.uint8)
        draw_figure(m, f, 255)
        masks.append(m)
    if rng.random() < 0.3:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 1.5))
    if looks is not None:
        img = cv2.convertScaleAbs(img, alpha=rng.uniform(0.7, 1.25), beta=rng.uniform(-20, 20))
    people = []
    for i, f in enumerate(figs):
        xy = f.keypoints
        inside = (xy[:, 0] >= 0) & (xy[:, 0] < w) & (xy[:, 1] >= 0) & (xy[:, 1] < h)
        v = np.where(inside, 2, 0)
        if f.back:
            v[[0, 1, 2]] = 0
            v[FACE0:FACE0 + 68] = 0
        nearer = np.zeros((h, w), np.uint8)
        for m in masks[i + 1:]:
            nearer |= m
        ix = np.clip(np.round(xy).astype(int), 0, [w - 1, h - 1])
        covered = nearer[ix[:, 1], ix[:, 0]] > 0
        v = np.where((v == 2) & covered, 1, v)
        own = masks[i] & ~nearer
        ys, xs = np.nonzero(own)
        if len(xs) < 50 or (v > 0).sum() < 8:
            continue  # (nearly) hidden or outside: not labelled, as COCO leaves such people out
        bbox = [float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1)]
        people.append({"keypoints": np.concatenate([xy, v[:, None]], 1), "bbox": bbox, "area": float(len(xs))})
        if who[i] >= 0:
            people[-1]["identity"] = who[i]
    return img, people
