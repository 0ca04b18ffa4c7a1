"""config.toml: the shipped file loads; wrong keys and values are rejected with a hint."""
import pytest

from indexer.config import ConfigError, load_config


def test_shipped_config_loads_taxonomy_in_order(config):
    names = [t.name for t in config.agency_types]
    assert names[0] == "信访"
    assert config.classify_agency("市中区信访局") == "信访"
    assert config.classify_agency("卫辉市信访局") == "信访"
    assert config.classify_agency("市民政局") == "民政"
    # 政府办公室 is listed before 人民政府, so the office is not taken for the government.
    assert config.classify_agency("洪泽区人民政府办公室") == "政府办公室"
    assert config.classify_agency("洪泽区人民政府") == "人民政府"
    assert config.classify_agency("某某协会") is None
    assert config.classify_agency(None) is None


def test_paths_resolve_against_the_config_file(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[paths]\ndata_dir = "d"\n', encoding="utf-8")
    config = load_config(path)
    assert config.data_dir == tmp_path / "d"
    assert config.agency_types == ()


@pytest.mark.parametrize("text, message", [
    ("[pathz]\n", "unknown section [pathz]"),
    ("[web]\nprot = 1\n", "unknown key web.prot"),
    ("[web]\nport = 'x'\n", "web.port must be a port number"),
    ("[[agency_types]]\nname = 'x'\n", "agency_types[0] (x) needs keywords"),
    ("[paths\n", "not valid TOML"),
])
def test_bad_config_is_one_clear_error(tmp_path, text, message):
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert message in str(e.value)
    assert str(path) in str(e.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")
