"""The two ways ``multinomial_resamples`` finds a drawn row's cell (table, search) agree, on every row."""

import numpy as np
import pytest

from auditkit.stats import bootstrap
from auditkit.stats.bootstrap import multinomial_resamples


@pytest.mark.parametrize("counts", [[1], [0, 3, 0, 2], [5, 0, 0], [0, 0, 7], [2, 1, 1, 4, 0, 9]])
def test_table_and_search_give_every_row_the_same_cell(counts):
    counts = np.array(counts)
    rows = np.arange(counts.sum())
    table = bootstrap._cell_of_row(counts, direct=True)(rows)
    search = bootstrap._cell_of_row(counts, direct=False)(rows)
    assert table.tolist() == search.tolist() == np.repeat(np.arange(len(counts)), counts).tolist()


@pytest.mark.parametrize("direct", [True, False])
def test_direct_draws_are_the_same_resamples_whichever_lookup(monkeypatch, direct):
    counts = np.array([3, 0, 1, 2, 5, 1, 1])  # more cells than a quarter of the rows: every row drawn directly
    expected = np.concatenate(list(multinomial_resamples(counts, 50, np.random.default_rng(7))))
    original = bootstrap._cell_of_row
    monkeypatch.setattr(bootstrap, "_cell_of_row", lambda c, **_: original(c, direct))
    got = np.concatenate(list(multinomial_resamples(counts, 50, np.random.default_rng(7))))
    assert (got == expected).all() and (got.sum(axis=1) == counts.sum()).all()
