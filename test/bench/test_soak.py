"""The soak command: every frame through the node graph comes back once, in order, and the
RSS of every process is sampled. The 10,000-frame run is marked slow (`scripts/test.sh --slow`)."""
import json
import os

import pytest

pytestmark = pytest.mark.ros


def test_short_soak_loses_no_frame_and_samples_every_process(vision_msgs, tmp_path):
    from alphapose_ros.bench.soak import main

    out = tmp_path / "soak.json"
    assert main(["--frames", "60", "--sample-every", "20", "--warmup", "20", "--json", str(out)]) == 0
    r = json.loads(out.read_text())
    assert (r["frames_sent"], r["frames_received"], r["lost"], r["duplicates"], r["in_order"]) == (60, 60, 0, 0, True)
    assert r["track_ids"] == 2
    assert [s["frame"] for s in r["samples"]] == [0, 20, 40, 60, 60]
    assert set(r["samples"][0]["rss_mb"]) == {"detection", "pose_estimation", "pose_nms", "tracking", "driver"}
    assert all(v > 50 for s in r["samples"] for v in s["rss_mb"].values())


@pytest.mark.slow
@pytest.mark.parametrize("composed", [False, True], ids=["separate", "composed"])
def test_ten_thousand_frames_keep_every_process_memory_flat(vision_msgs, tmp_path, composed):
    from alphapose_ros.bench.soak import run

    r = run(10_000, composed=composed, workdir=tmp_path, domain_id=150 + os.getpid() % 80)
    (tmp_path / "soak.json").write_text(json.dumps(r, indent=1))
    assert not r["failure"] and r["lost"] == 0 and r["duplicates"] == 0 and r["in_order"]
    growth = {n: g for n, g in r["rss_growth_after_warmup"].items() if n != "driver"}
    assert all(g < 0.05 for g in growth.values()), growth
