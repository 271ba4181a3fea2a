"""extractors.nlp's table-line test: the ``in`` pre-checks before ``_TABLE_LINE`` decide as
the regex alone does, on seeded random lines dense in pipes, spaces and digits."""
from __future__ import annotations

import random

from extractors.nlp import _TABLE_LINE, _table_shaped


def test_table_shaped_is_the_regex():
    rnd = random.Random(7)
    alphabet = "|   \t\u3000\n1234.,%/—–-政府公开申请件，。a"
    for _ in range(20000):
        line = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 14))).strip()
        assert _table_shaped(line) == bool(_TABLE_LINE.search(line)), repr(line)
