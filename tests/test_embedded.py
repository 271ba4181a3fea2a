"""The embedded server: one per data folder, reused by later processes, stoppable."""
import subprocess
import sys

from storage import embedded


def test_server_is_started_once_and_reused_across_processes(tmp_path):
    url = embedded.ensure_server(tmp_path)
    try:
        code = ("import sys; from pathlib import Path; from storage import embedded; "
                "print(embedded.ensure_server(Path(sys.argv[1])))")
        other = subprocess.run([sys.executable, "-c", code, str(tmp_path)],
                               capture_output=True, text=True, check=True).stdout.strip()
        assert other == url
        info = embedded.status(tmp_path)
        assert info and info["url"] == url
    finally:
        assert embedded.stop_server(tmp_path)
    assert embedded.status(tmp_path) is None
    assert not embedded.stop_server(tmp_path)


def test_data_survives_a_restart(tmp_path):
    import pymongo

    url = embedded.ensure_server(tmp_path)
    pymongo.MongoClient(url).gk.t.insert_one({"_id": 1, "v": "kept"})
    embedded.stop_server(tmp_path)
    url2 = embedded.ensure_server(tmp_path)
    try:
        assert pymongo.MongoClient(url2).gk.t.find_one({"_id": 1})["v"] == "kept"
    finally:
        embedded.stop_server(tmp_path)
