"""A CSV's text columns leave the C heap: one chunk each in the returning Arrow pool, the same values and dtypes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from auditkit.io import arrow_memory
from auditkit.io.arrow_memory import returning_pool, text_into_returning_pool
from auditkit.io.data_files import read_file

TEXT_DTYPES = [pd.StringDtype("pyarrow", na_value=np.nan), pd.StringDtype("pyarrow")]  # "str" and "string[pyarrow]"


def _chunked_text(sizes: list[int], dtype: pd.StringDtype) -> pd.Series:
    """Text of ``sum(sizes)`` rows held as Arrow chunks of these sizes (as pandas' C reader leaves them)."""
    start, chunks = 0, []
    for size in sizes:
        values = [None if (start + i) % 7 == 3 else f"v{(start + i) % 11}" for i in range(size)]
        chunks.append(pa.array(values, type=pa.large_string()))
        start += size
    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(chunks, type=pa.large_string()), dtype=dtype))


def _chunks(series: pd.Series) -> int:
    values = pa.array(series.array)
    return values.num_chunks if isinstance(values, pa.ChunkedArray) else 1


@pytest.mark.parametrize("dtype", TEXT_DTYPES, ids=str)
@pytest.mark.parametrize("sizes", [[1], [0, 5], [5, 0], [3, 4, 5], [1, 1, 1, 1], [16_384, 16_383, 1], [0], []],
                         ids=str)
def test_moved_text_keeps_every_value_dtype_label_and_index(sizes: list[int], dtype: pd.StringDtype):
    text = _chunked_text(sizes, dtype)
    index = pd.RangeIndex(3, 3 + len(text), name="id")
    frame = pd.DataFrame({"a": np.arange(len(text), dtype=float), 7: text.to_numpy(), "c": text}, index=index)
    frame[7] = frame[7].astype(object)  # an object column is left alone
    expected = frame.copy(deep=True)
    moved = text_into_returning_pool(frame)
    pd.testing.assert_frame_equal(moved, expected, check_column_type=True, check_index_type=True)
    assert _chunks(moved["c"]) == 1  # one chunk, however many the parser left
    assert moved[7].dtype == object


def test_the_text_lives_in_the_returning_pool_afterwards():
    frame = pd.DataFrame({"t": _chunked_text([50_000, 50_000], TEXT_DTYPES[0])})
    pool = returning_pool()
    before = pool.bytes_allocated()
    moved = text_into_returning_pool(frame)
    buffers = sum(b.size for b in pa.array(moved["t"].array).buffers() if b is not None)
    assert pool.bytes_allocated() - before >= buffers


def test_the_heap_is_trimmed_after_each_text_column(monkeypatch: pytest.MonkeyPatch):
    calls: list[int] = []
    monkeypatch.setattr(arrow_memory, "return_freed_heap", lambda: calls.append(1) or True)
    frame = pd.DataFrame({"t": _chunked_text([3, 2], TEXT_DTYPES[0]), "x": [1, 2, 3, 4, 5],
                          "u": _chunked_text([5], TEXT_DTYPES[1])})
    text_into_returning_pool(frame)
    assert len(calls) == 2


@pytest.mark.parametrize("rows", [1, 39_999, 40_000, 40_001])
def test_a_csv_read_gives_the_frame_pandas_reads_with_its_text_in_one_chunk(tmp_path: Path, rows: int):
    rng = np.random.default_rng(rows)
    frame = pd.DataFrame({"sex": rng.choice(["female", "male", ""], rows), "x": rng.normal(size=rows),
                          "n": rng.integers(0, 5, rows), "note": rng.choice(["a,b", "é", "NA", "z"], rows)})
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    got, _, how = read_file(path, None)
    pd.testing.assert_frame_equal(got, pd.read_csv(path), check_column_type=True)
    assert how["format"] == "csv"
    assert [_chunks(got[c]) for c in ("sex", "note")] == [1, 1]


def test_parsers_chunks_are_joined_for_a_file_of_many_chunks(tmp_path: Path):
    path = tmp_path / "data.csv"
    pd.DataFrame({name: [f"w{i % 13}" for i in range(200_000)] for name in "tuvw"}).to_csv(path, index=False)
    assert _chunks(pd.read_csv(path)["t"]) > 1  # the C reader leaves several chunks: the case being tested
    got, _, _ = read_file(path, None)
    assert _chunks(got["t"]) == 1
    pd.testing.assert_frame_equal(got, pd.read_csv(path))


def test_returning_the_freed_heap_says_whether_it_could():
    assert arrow_memory.return_freed_heap() is (arrow_memory._malloc_trim() is not None)



def test_a_pandas_that_takes_no_dtype_leaves_the_column_as_read(monkeypatch: pytest.MonkeyPatch):
    def no_dtype(values, **kwargs):  # pandas 2's ArrowStringArray(values): no dtype keyword
        if kwargs:
            raise TypeError("__init__() got an unexpected keyword argument 'dtype'")
        raise AssertionError("not called like this")

    text = _chunked_text([3, 4], TEXT_DTYPES[0])
    frame = pd.DataFrame({"t": text})
    monkeypatch.setattr(pd.arrays, "ArrowStringArray", no_dtype)
    moved = text_into_returning_pool(frame)
    assert _chunks(moved["t"]) == 2  # untouched, still the parser's chunks
    assert moved["t"].tolist() == text.tolist()
