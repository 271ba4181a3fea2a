"""Settings: defaults < file < environment < CLI, unknown keys rejected with the allowed list."""
import pytest

from extractors.errors import SettingsError
from config.settings import load_settings


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

    from config.settings import Settings, _defaults

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text("utf-8")
    assert set(_defaults()) == set(Settings.model_fields)
    for key in Settings.model_fields:
        assert f"| `{key}` |" in readme, f"setting {key} missing from README's Configuration table"


def test_cli_in_process_leaves_environ_unchanged_and_hands_settings_on(tmp_path, mongo_url):
    """Regression: the CLI wrote its resolved settings into os.environ, leaking them into
    later tests and child processes. Now the settings reach the local pool explicitly."""
    import os
    import uuid

    from click.testing import CliRunner
    from pymongo import MongoClient

    from gongkai.cli import main

    db_name = f"gk_env_{uuid.uuid4().hex[:8]}"
    settings_file = tmp_path / "mine.toml"
    settings_file.write_text("ner = false\n")
    for i in range(2):
        (tmp_path / f"r{i}.txt").write_text(f"某县人民政府2023年政府信息公开工作年度报告\n本年新收申请{i + 1}件。\n",
                                            encoding="utf-8")
    before = dict(os.environ)
    result = CliRunner().invoke(main, [
        "--settings", str(settings_file), "--mongo-url", mongo_url, "--db-name", db_name,
        "--data-dir", str(tmp_path / "data"), "ingest", str(tmp_path / "r0.txt"),
        str(tmp_path / "r1.txt"), "--workers", "2", "--json"])
    assert dict(os.environ) == before, result.output
    client = MongoClient(mongo_url)
    try:
        stored = list(client[db_name].reports.find({}, {"status": 1}))
        assert len(stored) == 2 and all(d["status"] in ("done", "failed") for d in stored)
        assert all(d["status"] != "queued" for d in stored), result.output
    finally:
        client.drop_database(db_name)
        client.close()


NER_TEXT = ("平潭县人民政府2023年政府信息公开工作年度报告\n"
            "本年度县政府信息公开工作办公室共受理申请3件。联系地址：翠园南路10号。\n")


@pytest.mark.parametrize("args,env,want", [
    ([], {}, False),                      # the default: entity rules and patterns only
    (["--ner"], {}, True),
    ([], {"GONGKAI_NER": "true"}, True),  # the setting decides when no flag is given
    (["--no-ner"], {"GONGKAI_NER": "true"}, False),
])
def test_check_runs_the_ner_model_as_the_setting_says(tmp_path, monkeypatch, args, env, want):
    import json

    from click.testing import CliRunner

    from gongkai.cli import main

    path = tmp_path / "r.txt"
    path.write_text(NER_TEXT, encoding="utf-8")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(main, ["check", str(path), "--json", *args])
    assert result.exit_code in (0, 1), result.output
    entities = json.loads(result.output.strip().splitlines()[-1])["entities"]
    texts = {e["text"] for e in entities}
    assert "平潭县人民政府" in texts  # the patterns run either way
    assert ("翠园南路10号" in texts) is want
