"""Pose configs that cannot be read are refused with one line naming the file."""
import pytest

from alphapose_ros.core.models.config import ConfigError, load_config


@pytest.mark.fault("config-malformed")
@pytest.mark.parametrize("text, message", [("MODEL: [unclosed\n", "not valid YAML"),
                                           ("- a list\n", "not a YAML mapping")])
def test_unreadable_config_is_a_config_error_naming_the_file(tmp_path, text, message):
    path = tmp_path / "model.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as e:
        load_config(path)
    assert str(path) in str(e.value) and "\n" not in str(e.value)
