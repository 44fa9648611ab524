"""The INT8 replay's record of the default run: which frames its detector saw, told once per frame."""
import numpy as np

from alphapose_ros.bench.int8_replay import RecordingDetector
from alphapose_ros.core.detectors.hog import HogDetector


def test_the_recording_detector_says_which_images_it_ran_on_once_each():
    rec = RecordingDetector(HogDetector())
    a, b, c = (np.full((160, 96, 3), 90, np.uint8) for _ in range(3))
    assert len(rec.detect([a, c])) == 2 and rec.name == "hog"
    assert [rec.ran_on(x) for x in (a, b, c)] == [True, False, True]
    assert not rec.ran_on(a)  # told once: a later image at the same address is not taken for it
