"""config.toml: the shipped file loads; wrong keys and values are rejected with a hint."""
import json
import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.config import _SECTIONS, ConfigError, load_config


def test_shipped_config_loads_taxonomy_in_order(config):
    names = [t.name for t in config.agency_types]
    assert names[0] == "信访"
    assert config.classify_agency("市中区信访局") == "信访"
    assert config.classify_agency("卫辉市信访局") == "信访"
    assert config.classify_agency("市民政局") == "民政"
    # 政府办公室 is listed before 人民政府, so the office is not taken for the government.
    assert config.classify_agency("洪泽区人民政府办公室") == "政府办公室"
    assert config.classify_agency("洪泽区人民政府") == "人民政府"
    # departments every city and county has: 教育和体育局 stays 教育, 财政金融局 财政
    assert [config.classify_agency(a) for a in ("沭阳县工业和信息化局", "市经信委", "市教育和体育局", "区体育局",
                                                "平潭综合实验区财政金融局", "市地方金融监督管理局", "洪泽区档案馆")] == \
        ["工业和信息化", "工业和信息化", "教育", "体育", "财政", "地方金融", "档案"]
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
    # each once a traceback (a TypeError or AttributeError), or taken as something else
    ("[paths]\ndata_dir = 5\n", "paths.data_dir must be a non-empty string, not 5"),
    ("[paths]\ncorpus_dir = []\n", "paths.corpus_dir must be a non-empty string, not []"),
    ("agency_types = 5\n", "agency_types must be a list of tables"),
    ("agency_types = [5]\n", "agency_types must be a list of tables"),
    ("[web]\nport = true\n", "web.port must be a port number, not True"),
    ("[web]\nhost = 5\n", "web.host must be a non-empty string, not 5"),
    ("[web]\nsecret_key = ''\n", "web.secret_key must be a non-empty string, not ''"),
    # a name holding a line break is shown with its escapes: the error stays one line (found by the
    # property test below, run with another seed)
    ('[agency_aliases]\n"a\\nb" = false\n', "agency_aliases.'a\\nb' must be a non-empty agency name, not False"),
    ('["sec\\ntion"]\n', "unknown section ['sec\\ntion']"),
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


# any TOML value: what tomllib can give
toml_values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text()),
                           lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                   st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                           max_leaves=6)
KEYS = [(section, key) for section, keys in _SECTIONS.items() for key in sorted(keys or [None])]


@given(entries=st.lists(st.tuples(st.sampled_from(KEYS), toml_values), min_size=1, max_size=4))
@settings(max_examples=300, deadline=None, derandomize=True)
def test_any_value_under_any_known_key_is_a_config_or_one_clear_error(tmp_path_factory, entries):
    raw: dict = {}
    for (section, key), value in entries:
        if value is None:
            continue  # TOML has no null
        if key is None:
            raw[section] = value
        else:
            table = raw.setdefault(section, {})
            if isinstance(table, dict):
                table[key] = value
    path = tmp_path_factory.mktemp("config") / "c.toml"
    path.write_text(_toml(raw), encoding="utf-8")
    try:
        tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError:
        return
    try:
        load_config(path)
    except ConfigError as e:
        assert str(e).startswith(str(path)) and "\n" not in str(e)


def _toml(raw: dict) -> str:
    """``raw`` as TOML text, every value inline (json-like)."""
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v) if not isinstance(v, float) or v == v and abs(v) != float("inf") else "0"
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v if x is not None) + "]"
        return "{" + ", ".join(f"{json.dumps(k)} = {value(x)}" for k, x in v.items() if x is not None) + "}"
    return "\n".join(f"{json.dumps(k)} = {value(v)}" for k, v in raw.items()) + "\n"
