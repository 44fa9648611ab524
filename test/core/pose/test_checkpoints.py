"""Checkpoint files that are not checkpoints are refused with one line saying what they are."""
import pytest

from alphapose_ros.core.pose.checkpoints import CheckpointError, read_state_dict


@pytest.mark.fault("checkpoint-not-a-checkpoint")
@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty"),  # was an IndexError from the empty EOFError message
    (b"hello, not a checkpoint\n", "not a PyTorch checkpoint (neither a zip archive nor a pickle)"),
    (b"PK\x03\x04truncated", "cannot read checkpoint"),
])
def test_files_that_are_not_checkpoints_are_named_as_such(tmp_path, content, message):
    path = tmp_path / "model.pth"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match="^cannot read checkpoint") as e:
        read_state_dict(path)
    assert message in str(e.value) and "\n" not in str(e.value)


@pytest.mark.fault("checkpoint-code-pickle")
def test_a_file_with_objects_is_refused_without_torchs_advice_to_load_it_unsafely(tmp_path, recwarn):
    import pickle

    import torch

    path = tmp_path / "model.pth"
    path.write_bytes(pickle.dumps({"w": torch.zeros(1), "extra": CheckpointError("an object")}, protocol=4))
    with pytest.raises(CheckpointError, match="holds objects other than tensors") as e:
        read_state_dict(path)
    assert "weights_only" not in str(e.value) and "\n" not in str(e.value) and not recwarn.list


def test_a_refused_download_names_the_users_file_not_the_temporary_copy(tmp_path):
    from alphapose_ros.core.pose.model_zoo import ModelZooError, install, load_manifest

    bad = tmp_path / "halpe136.pth"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ModelZooError) as e:
        install(load_manifest()["halpe136_fast50_regression"], from_file=bad, cache=tmp_path / "cache")
    assert str(bad) in str(e.value) and ".part" not in str(e.value)
