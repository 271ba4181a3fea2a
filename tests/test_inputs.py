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
