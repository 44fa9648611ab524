"""Checkpoint files that are not checkpoints are refused with one line saying what they are."""
import pytest

from alphapose_ros.core.checkpoints import CheckpointError, read_state_dict


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
