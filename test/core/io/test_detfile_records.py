"""Detection files read strictly: a malformed record is skipped with one line saying why and counted, the
good ones kept; a file nested too deeply is one line; image ids that match no image are reported."""
import json
import logging

import numpy as np
import pytest

from alphapose_ros.core.io.detfile import DetectionFile

GOOD = {"image_id": "a.jpg", "category_id": 1, "bbox": [10, 20, 30, 40], "score": 0.9}


def _file(tmp_path, records):
    path = tmp_path / "det.json"
    path.write_text(json.dumps(records) if not isinstance(records, str) else records)
    return path


@pytest.mark.fault("detfile-bad-records")
@pytest.mark.parametrize("bad, said", [({"bbox": "1199"}, "bbox '1199' is not a list of 4 numbers"),
                                       ({"bbox": [1, 2, 3]}, "bbox [1, 2, 3] is not a list of 4 numbers"),
                                       ({"bbox": [1, True, 3, 4]}, "a bbox value True is not a number"),
                                       ({"score": True}, "score True is not a number"),
                                       ({"category_id": True}, "category_id True is not a number"),
                                       ({"image_id": 0.5}, "image_id 0.5 is neither"),
                                       ({"image_id": None}, "image_id None is neither")])
def test_a_malformed_record_is_skipped_with_one_line_and_the_good_ones_kept(tmp_path, caplog, bad, said):
    caplog.set_level(logging.WARNING)
    d = DetectionFile(_file(tmp_path, [GOOD, {**GOOD, **bad}, GOOD]))
    boxes, scores = d.boxes_for("a.jpg")
    assert d.bad_records == 1 and len(boxes) == 2
    np.testing.assert_allclose(boxes[0], [10, 20, 40, 60])
    lines = [r.getMessage() for r in caplog.records]
    assert any("record 1 skipped: " + said in ln for ln in lines), lines
    assert any("1 of 3 records skipped as malformed" in ln for ln in lines)


def test_whole_number_ids_match_coco_file_names_and_unmatched_ids_are_reported(tmp_path):
    d = DetectionFile(_file(tmp_path, [{**GOOD, "image_id": 139.0}, {**GOOD, "image_id": 7}]))
    assert len(d.boxes_for("000000000139.jpg")[0]) == 1
    assert d.unused_images() == ["7"]


@pytest.mark.fault("detfile-bad-records")
def test_a_file_nested_too_deeply_is_one_line(tmp_path):
    with pytest.raises(ValueError, match="nested too deeply"):
        DetectionFile(_file(tmp_path, "[" * 100_000 + "]" * 100_000))


def test_many_bad_records_name_the_first_twenty_and_count_the_rest(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    d = DetectionFile(_file(tmp_path, [{**GOOD, "bbox": "x"}] * 50 + [GOOD]))
    assert d.bad_records == 50 and len(d.boxes_for("a.jpg")[0]) == 1
    assert len(caplog.records) == 21 and "50 of 51 records skipped" in caplog.records[-1].getMessage()
