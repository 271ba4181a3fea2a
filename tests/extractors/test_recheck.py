"""Re-evaluation from a stored record gives the findings the full pipeline gave."""
import json

import pytest

from tests.conftest import CORPUS


@pytest.mark.parametrize("name", sorted(p.name for p in (CORPUS / "reports").glob("*.txt"))
                         if (CORPUS / "reports").is_dir() else [])
def test_recheck_matches_the_pipeline(corpus_dir, name):
    from extractors.pipeline import analyse, recheck

    result = analyse((corpus_dir / "reports" / name).read_bytes(), use_ner=False)
    stored = json.loads(json.dumps(result.record))  # as it comes back from storage
    key = lambda fs: sorted(json.dumps([f["code"], f["status"], f["values"], f["spans"]])
                            for f in fs)
    assert key(recheck(stored, result.text)) == key(result.record["findings"])
