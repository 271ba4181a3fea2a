"""``Store.setup`` on a real embedded server: every process opening the store calls it, so
once done it issues no ``createIndexes`` (issue 11), yet still creates an index that is
new in the code, and ``force`` creates dropped ones again."""
from __future__ import annotations

import pymongo
from pymongo import ASCENDING, monitoring

from storage import store as store_mod
from storage.store import Store


class Commands(monitoring.CommandListener):
    """The names of the commands a client sent."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.names.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def _setup(mongo_url: str, db_name: str, force: bool = False) -> list[str]:
    """The commands one new process's ``Store.setup`` sends."""
    commands = Commands()
    client = pymongo.MongoClient(mongo_url, tz_aware=True, event_listeners=[commands])
    try:
        s = Store(client, db_name)
        s.setup(force=True) if force else s.setup()  # noqa: B018
    finally:
        client.close()
    return [n for n in commands.names if n not in ("ismaster", "isMaster", "hello", "endSessions")]


def _keys(db, name: str) -> set[tuple]:
    return {tuple(spec["key"]) for spec in db[name].index_information().values()}


def test_a_second_setup_creates_no_index(mongo_url, db_name, store) -> None:
    # ``store`` set the database up; a process opening it again only reads the record
    sent = _setup(mongo_url, db_name)
    assert "createIndexes" not in sent and "create" not in sent
    assert len(sent) <= 2, sent


def test_the_first_setup_creates_every_index(mongo_url, db_name) -> None:
    try:
        sent = _setup(mongo_url, db_name)
        assert sent.count("createIndexes") == len(store_mod.all_indexes()) > 50
    finally:
        pymongo.MongoClient(mongo_url).drop_database(db_name)


def test_a_new_index_in_the_code_is_created(mongo_url, db_name, store, monkeypatch) -> None:
    new = [("filename", ASCENDING)]
    assert (("filename", 1),) not in _keys(store.db, "reports")
    monkeypatch.setitem(store_mod.INDEXES, "reports",
                        [*store_mod.INDEXES["reports"], (new, {})])
    assert "createIndexes" in _setup(mongo_url, db_name)  # the fingerprint changed
    assert (("filename", 1),) in _keys(store.db, "reports")
    assert "createIndexes" not in _setup(mongo_url, db_name)  # and is recorded


def test_force_creates_dropped_indexes_again(mongo_url, db_name, store) -> None:
    before = _keys(store.db, "claims")
    store.db.claims.drop_index([("tokens", ASCENDING)])
    assert (("tokens", 1),) not in _keys(store.db, "claims")
    _setup(mongo_url, db_name)  # the record does not know: nothing is created
    assert (("tokens", 1),) not in _keys(store.db, "claims")
    assert "createIndexes" in _setup(mongo_url, db_name, force=True)
    assert _keys(store.db, "claims") == before
