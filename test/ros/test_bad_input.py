"""Bad input does not stop the graph: each kind is logged once and skipped, later frames flow."""
import os
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.ros
sys.path.insert(0, str(Path(__file__).parent))


@pytest.mark.fault("bad-frames")
def test_bad_frames_are_skipped_and_the_stream_keeps_flowing(vision_msgs):
    from sensor_msgs.msg import Image

    from graph_fixture import header, messages, pose_node_harness

    with pose_node_harness(100 + os.getpid() % 50) as h:
        bad = []
        for f, mutate in enumerate([lambda m: setattr(m, "encoding", "yuv422_weird"),
                                    lambda m: (setattr(m, "height", 0), setattr(m, "width", 0)),
                                    lambda m: setattr(m, "data", bytes(m.data[:100]))]):
            img, det = messages(f)
            mutate(img)
            bad += [img, det]
        from rclpy.serialization import serialize_message

        damaged = serialize_message(messages(7)[0])
        bad += [damaged[:60], b"\x00\x09\x00\x00" + damaged[4:200]]  # cut short; an encapsulation nobody knows
        _, orphan = messages(50)  # detections for an image that never comes
        empty_img, empty_det = messages(5)
        empty_det.detections = []  # a frame with nobody in it
        good_img, good_det = messages(6)
        for m in bad + [orphan, empty_det, empty_img, good_det, good_img]:
            (h.img_pub if isinstance(m, (Image, bytes)) else h.det_pub).publish(m)
        deadline = time.monotonic() + 60
        while len(h.got) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        reasons = dict(h.pose.skip.counts)
    got = h.got
    assert [m.header.stamp for m in got] == [header(5).stamp, header(6).stamp]
    assert len(got[0].poses) == 0 and len(got[1].poses) == 2
    assert len(reasons) == 5 and all(v == 1 for v in reasons.values())
    assert any("unsupported image encoding" in r for r in reasons) and any("empty image" in r for r in reasons)
    assert any("truncated" in r for r in reasons) and any("damaged image message" in r for r in reasons)
    assert any("encapsulation 0x0009" in r for r in reasons)


@pytest.mark.fault("detector-cannot-load")
@pytest.mark.parametrize("detector, weights", [("yolox-s", "/nonexistent/yolox_s.pth"), ("yolov3", ""),
                                               ("yolox-huge", "")])
def test_detector_that_cannot_load_fails_configure_with_a_reason(vision_msgs, tmp_path, detector, weights):
    import rclpy
    from rclpy.parameter import Parameter

    from alphapose_ros.ros.nodes.detection import DetectionNode

    ctx = rclpy.Context()
    rclpy.init(context=ctx, domain_id=100 + os.getpid() % 50)
    logged = []
    node = None
    try:
        node = DetectionNode("detection", context=ctx, parameter_overrides=[
            Parameter("detector", value=detector), Parameter("weights", value=weights),
            Parameter("autostart", value=False)])
        node.get_logger().error = lambda msg, **kw: logged.append(msg)
        node.trigger_configure()  # returns normally: the failure is a transition result, not an exception
        assert node.detector is None and node.pub is None
        assert len(logged) == 1 and "cannot configure detector" in logged[0]
        assert detector.replace("-", "_") in logged[0] or "unknown detector" in logged[0] or "cfg" in logged[0]
    finally:
        if node is not None:
            node.destroy_node()
        rclpy.shutdown(context=ctx)
