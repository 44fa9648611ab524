"""The annotated video keeps every frame: frames of another size are letterboxed into the first size and
said once (an MJPG writer drops them silently)."""
import logging

import cv2
import numpy as np
import pytest

from alphapose_ros.core.io.video_out import AnnotatedVideo, letterbox


def _count(path):
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.read()[0]:
        n += 1
    return n


@pytest.mark.fault("video-frame-size-change")
def test_every_frame_is_written_when_the_size_changes_mid_stream(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    sizes = [(240, 320), (240, 320), (480, 640), (100, 400), (240, 320), (480, 640)]
    with AnnotatedVideo(tmp_path / "v.avi") as v:
        for h, w in sizes:
            v.write(np.full((h, w, 3), 200, np.uint8))
    assert _count(tmp_path / "v.avi") == 6 and (v.frames, v.resized) == (6, 3)
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 2 and "frame 2 is 640x480, the video 320x240" in said[0] and "3 of 6 frames" in said[1]


def test_letterbox_keeps_the_aspect_and_centres():
    out = letterbox(np.full((100, 400, 3), 255, np.uint8), (320, 240))
    assert out.shape == (240, 320, 3)
    rows = np.flatnonzero(out[:, 160, 0])
    assert rows[0] == 80 and rows[-1] == 159  # 320x80 band in the middle


@pytest.mark.fault("video-frame-size-change")
def test_infer_writes_every_image_of_a_folder_of_mixed_sizes_into_its_video(tmp_path, mediapipe_models):
    from alphapose_ros.cli.infer import main

    folder = tmp_path / "imgs"
    folder.mkdir()
    for i, (h, w) in enumerate([(240, 320), (480, 640), (240, 320), (300, 300)]):
        cv2.imwrite(str(folder / f"{i}.png"), np.full((h, w, 3), 90, np.uint8))
    assert main(["--input", str(folder), "--outdir", str(tmp_path / "out"), "--save-video", "--detector", "hog"]) == 0
    assert _count(tmp_path / "out" / "alphapose-result.avi") == 4
