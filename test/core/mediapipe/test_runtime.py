import numpy as np
import pytest

from alphapose_ros.core.mediapipe.assets import MODELS, model_path


@pytest.mark.parametrize("key", list(MODELS))
def test_batched_run_equals_one_image_at_a_time(mediapipe_models, key):
    from alphapose_ros.core.mediapipe.runtime import TfliteModel

    m = TfliteModel(model_path(key))
    x = np.random.default_rng(0).random((3, *m.input_hw, 3), dtype=np.float32)
    batched = m.run(x)
    single = [m.run(x[i:i + 1]) for i in range(3)]
    for j, out in enumerate(batched):
        assert out.shape[0] == 3
        np.testing.assert_allclose(out, np.concatenate([s[j] for s in single]), rtol=1e-5, atol=1e-5)


def test_detector_graph_with_a_fixed_batch_is_run_one_image_at_a_time(mediapipe_models):
    from alphapose_ros.core.mediapipe.runtime import TfliteModel

    m = TfliteModel(model_path("pose_detection"))
    m.run(np.zeros((2, 224, 224, 3), np.float32))
    assert not m.batchable  # its outputs would mix images if batched


def test_wrong_input_size_is_a_clear_error(mediapipe_models):
    from alphapose_ros.core.mediapipe.runtime import TfliteModel

    m = TfliteModel(model_path("pose_landmark"))
    with pytest.raises(ValueError, match="takes"):
        m.run(np.zeros((1, 100, 100, 3), np.float32))
