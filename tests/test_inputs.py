"""Ingest inputs: files, folders, archives and JSONL; bad containers become failed items."""
import io
import json
import tarfile
import zipfile

import pytest

from extractors.errors import InputError
from gongkai.inputs import iter_items


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)


def test_folder_is_recursive_and_skips_annotations(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "r1.txt").write_text("报告一")
    (tmp_path / "r2.html").write_text("<p>报告二</p>")
    (tmp_path / "gold.json").write_text("{}")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.txt").write_text("x")
    items = list(iter_items([str(tmp_path)]))
    assert sorted(i.filename for i in items) == ["r1.txt", "r2.html"]


def test_zip_and_tar_members(tmp_path):
    _zip(tmp_path / "c.zip", {"x/r1.txt": "一", "r2.txt": "二"})
    with tarfile.open(tmp_path / "c.tar.gz", "w:gz") as t:
        data = "三".encode()
        info = tarfile.TarInfo("d/r3.txt")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    items = list(iter_items([str(tmp_path / "c.zip"), str(tmp_path / "c.tar.gz")]))
    assert [i.data.decode() for i in items] == ["一", "二", "三"]
    assert items[0].source.endswith("c.zip!x/r1.txt")
    assert all(i.failure is None for i in items)


def test_truncated_zip_is_one_failed_item(tmp_path):
    _zip(tmp_path / "ok.zip", {"r1.txt": "一" * 1000, "r2.txt": "二" * 1000})
    data = (tmp_path / "ok.zip").read_bytes()
    (tmp_path / "bad.zip").write_bytes(data[: len(data) // 2])
    [item] = list(iter_items([str(tmp_path / "bad.zip")]))
    assert item.failure and "truncated" in item.failure["message"]
    assert item.data == data[: len(data) // 2]  # the bytes are kept for inspection


def test_jsonl_pages_and_bad_lines(tmp_path):
    lines = [json.dumps({"url": "http://x/1", "html": "<p>一</p>", "fetched_at": "2025-01-01"}),
             "", json.dumps({"url": "http://x/2", "text": "二"}), "{not json",
             json.dumps({"url": "http://x/3"})]
    (tmp_path / "pages.jsonl").write_text("\n".join(lines) + "\n")
    items = list(iter_items([str(tmp_path / "pages.jsonl")]))
    assert len(items) == 5
    assert items[0].source == "http://x/1" and items[0].filename == "page.html"
    assert items[0].meta["fetched_at"] == "2025-01-01"
    assert "empty" in items[1].failure["message"]
    assert items[2].data.decode() == "二" and items[2].failure is None
    assert "not valid JSON" in items[3].failure["message"]
    assert '"html" or "text"' in items[4].failure["message"]


def test_missing_path_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        list(iter_items([str(tmp_path / "nope")]))


# ------------------------------------------------------------------ archive limits

def _bomb(path, name="bomb.txt", mb=300):
    """A zip whose member expands to ``mb`` MB of one byte (a few hundred KB on disk),
    written in chunks so the test never holds the expanded member."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("ok.txt", "报告正文" * 100)
        with z.open(name, "w") as handle:
            for _ in range(mb):
                handle.write(b"0" * (1 << 20))


def test_zip_bomb_member_is_refused_without_its_content(tmp_path):
    _bomb(tmp_path / "b.zip")
    assert (tmp_path / "b.zip").stat().st_size < 1 << 20
    ok, refused = list(iter_items([str(tmp_path / "b.zip")]))
    assert ok.failure is None and ok.data.decode() == "报告正文" * 100
    assert refused.failure["code"] == InputError.code
    assert "bomb.txt expands to 300.0 MB" in refused.failure["message"]
    assert "max_document_mb" in refused.failure["message"]
    assert len(refused.data) < 1000 and b"bomb.txt" in refused.data  # a note, not 300 MB


def test_member_over_the_ratio_is_refused(tmp_path):
    from gongkai.inputs import Limits

    _bomb(tmp_path / "r.zip", mb=5)  # under the size limit, ~1000 times its compressed size
    _, refused = list(iter_items([str(tmp_path / "r.zip")], Limits(max_ratio=100)))
    assert "max_archive_ratio" in refused.failure["message"] and "expands" in refused.failure["message"]
    [_, kept] = list(iter_items([str(tmp_path / "r.zip")], Limits(max_ratio=10_000)))
    assert kept.failure is None and len(kept.data) == 5 << 20


def test_tar_gz_member_over_the_size_limit_is_refused(tmp_path):
    from gongkai.inputs import Limits

    data = b"0" * (2 << 20)
    with tarfile.open(tmp_path / "t.tar.gz", "w:gz") as t:
        info = tarfile.TarInfo("big.txt")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    [item] = list(iter_items([str(tmp_path / "t.tar.gz")], Limits(max_member_bytes=1 << 20)))
    assert item.failure and "expands to 2.0 MB, over the limit of 1 MB" in item.failure["message"]
    [item] = list(iter_items([str(tmp_path / "t.tar.gz")], Limits(max_member_bytes=4 << 20, max_ratio=10)))
    assert item.failure and "the archive expands more than 10 times" in item.failure["message"]


@pytest.mark.services
def test_ingest_of_a_zip_bomb_stores_no_expanded_bytes(tmp_path, cli_env, store):
    from tests.conftest import run_cli

    _bomb(tmp_path / "b.zip")
    proc = run_cli(["ingest", str(tmp_path / "b.zip"), "--json"], cli_env)
    assert proc.returncode == 1, proc.stderr  # one document failed
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    [failed] = summary["failed"]
    assert failed["source"].endswith("b.zip!bomb.txt") and "300.0 MB" in failed["message"]
    stored = {d["_id"]: d for d in store.db.reports.find({}, {"size": 1, "status": 1, "error": 1})}
    assert stored[failed["id"]]["status"] == "failed" and stored[failed["id"]]["error"]["code"] == "E300"
    assert max(d["size"] for d in stored.values()) < 1 << 20
    assert store.db["raw.files"].count_documents({"length": {"$gt": 1 << 20}}) == 0


def test_encrypted_zip_is_one_failed_item(tmp_path):
    _zip(tmp_path / "e.zip", {"r1.txt": "一" * 100})
    data = bytearray((tmp_path / "e.zip").read_bytes())
    for sig, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # set the "encrypted" flag bit
        pos = data.find(sig) + at
        data[pos] |= 1
    (tmp_path / "e.zip").write_bytes(bytes(data))
    [item] = list(iter_items([str(tmp_path / "e.zip")]))
    assert item.failure and "encrypted" in item.failure["message"]


def test_zip_with_a_corrupt_deflate_stream_is_one_failed_item(tmp_path):
    """Found by tests/test_fuzz.py: zlib.error escaped from ingest."""
    with zipfile.ZipFile(tmp_path / "ok.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.txt", "政府信息公开工作年度报告" * 20)
    data = bytearray((tmp_path / "ok.zip").read_bytes())
    data[64] = 0  # inside the deflate stream of the member
    (tmp_path / "z.zip").write_bytes(bytes(data))
    [item] = list(iter_items([str(tmp_path / "z.zip")]))
    assert item.failure and item.failure["code"] == InputError.code
