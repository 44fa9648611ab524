"""The video camera node: each image the clip's next frame, or with real_time the clip at its own speed at
any camera rate (a 10 fps clip at 30 Hz shows each frame three times), as a real camera sees a scene."""
import pytest

pytestmark = pytest.mark.ros


def _clip(tmp_path, n=4):
    """An n-frame 10 fps clip whose frame i is filled with 40 x i."""
    import cv2
    import numpy as np

    path = tmp_path / "c.avi"
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for i in range(n):
        w.write(np.full((48, 64, 3), 40 * i, np.uint8))
    w.release()
    return str(path)


@pytest.mark.parametrize("real_time, shown", [(True, [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]),
                                              (False, [0, 1, 2, 3])])
def test_the_clip_keeps_its_own_speed_at_a_faster_camera_rate_only_with_real_time(tmp_path, real_time, shown):
    import numpy as np
    import rclpy
    from rclpy.parameter import Parameter

    from alphapose_ros.core.io.image_msgs import image_to_bgr
    from alphapose_ros.ros.nodes.video_camera import VideoCameraNode

    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    try:
        node = VideoCameraNode(context=ctx, parameter_overrides=[
            Parameter("video", value=_clip(tmp_path)), Parameter("rate", value=30.0),
            Parameter("real_time", value=real_time)])
        got = []
        node.pub.publish = lambda msg: got.append(int(np.median(image_to_bgr(msg))))
        for _ in range(20):
            node._tick()
        assert [round(v / 40) for v in got] == shown and node.done
        node.destroy_node()
    finally:
        rclpy.shutdown(context=ctx)
