"""Settings: defaults < file < environment < CLI, unknown keys rejected with the allowed list."""
import pytest

from extractors.errors import SettingsError
from gongkai.settings import load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in list(__import__("os").environ):
        if name.startswith("GONGKAI_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults_come_from_config_file():
    s = load_settings()
    assert s.mongo_url == "" and s.broker_url == "" and s.db_name == "gongkai"
    assert s.max_document_mb == 20


def test_precedence_file_env_cli(tmp_path, monkeypatch):
    (tmp_path / "gongkai.toml").write_text('db_name = "from_file"\nworkers = 3\n')
    assert load_settings().db_name == "from_file"
    monkeypatch.setenv("GONGKAI_DB_NAME", "from_env")
    s = load_settings()
    assert s.db_name == "from_env" and s.workers == 3
    assert load_settings(db_name="from_cli").db_name == "from_cli"
    assert load_settings(db_name=None).db_name == "from_env"  # an absent flag overrides nothing


@pytest.mark.parametrize("where", ["file", "env", "cli"])
def test_unknown_key_rejected_with_allowed_list(tmp_path, monkeypatch, where):
    kwargs = {}
    if where == "file":
        (tmp_path / "gongkai.toml").write_text('mongourl = "x"\n')
    elif where == "env":
        monkeypatch.setenv("GONGKAI_MONGOURL", "x")
    else:
        kwargs = {"mongourl": "x"}
    with pytest.raises(SettingsError, match="unknown setting.*mongourl.*allowed: .*mongo_url"):
        load_settings(**kwargs)


def test_invalid_value_names_the_key(monkeypatch):
    monkeypatch.setenv("GONGKAI_WORKERS", "many")
    with pytest.raises(SettingsError, match="workers"):
        load_settings()


def test_missing_explicit_settings_file():
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings("nope.toml")


def test_every_setting_is_documented_and_has_a_default():
    from pathlib import Path

    from gongkai.settings import Settings, _defaults

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text("utf-8")
    assert set(_defaults()) == set(Settings.model_fields)
    for key in Settings.model_fields:
        assert f"| `{key}` |" in readme, f"setting {key} missing from README's Configuration table"
