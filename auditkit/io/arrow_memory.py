"""The Arrow memory pool a file is read into: one that hands freed memory back to the system at once.

Arrow's default pool (mimalloc in the wheels) keeps memory it freed for reuse. A Parquet file read
column by column frees each column's decoded pages and temporary arrays as it goes; kept, they stay
in the process (about 30 MB at 1M rows of the scale benchmark, ~0.2x the frame) for the rest of the
audit. Arrow's jemalloc pool with a decay time of 0 returns them as soon as they are freed (the
system allocator where Arrow was built without jemalloc). The frame's own columns live in that pool
(Arrow's zero-copy conversion keeps them there) and go back to it when the frame is dropped.

pandas' C reader builds a CSV's text columns (Arrow strings) in buffers of its own, chunk by chunk, on
the C heap between the parser's freed buffers; glibc cannot hand those holes back while the text sits
between them (~100 MB at 1M rows of the scale benchmark, 0.55x the frame, kept for the whole audit).
:func:`text_into_returning_pool` moves the text into the pool, and :func:`return_freed_heap` gives the
freed heap back to the system.

This module imports nothing from auditkit.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import pandas as pd


def returning_pool() -> Any:
    """Arrow's jemalloc pool set to return freed memory at once, or the system allocator without jemalloc.

    Examples
    --------
    >>> returning_pool().backend_name in {"jemalloc", "system"}
    True
    """
    import pyarrow as pa

    try:
        pool = pa.jemalloc_memory_pool()
        pa.jemalloc_set_decay_ms(0)
    except NotImplementedError:  # an Arrow built without jemalloc
        pool = pa.system_memory_pool()
    return pool


@contextmanager
def read_into_returning_pool() -> Iterator[Any]:
    """Arrow's default pool is :func:`returning_pool` inside the block (the previous one again after it).

    Arrow allocates from its default pool wherever a call takes none (``ParquetFile.read`` and
    ``Table.to_pandas`` take none); every buffer is freed into the pool it came from, whatever the
    default is by then.

    Examples
    --------
    >>> import pyarrow as pa
    >>> before = pa.default_memory_pool().backend_name
    >>> with read_into_returning_pool() as pool:
    ...     pa.default_memory_pool().backend_name == pool.backend_name
    True
    >>> pa.default_memory_pool().backend_name == before
    True
    """
    import pyarrow as pa

    previous = pa.default_memory_pool()
    pool = returning_pool()
    pa.set_memory_pool(pool)
    try:
        yield pool
    finally:
        pa.set_memory_pool(previous)


def text_into_returning_pool(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each Arrow text column copied, as one chunk, into :func:`returning_pool`; the heap freed.

    A column at a time, each followed by :func:`return_freed_heap`: the copy of one column is the only
    extra memory. The values, the dtype, the labels and the order of the columns stay as they were;
    other columns are not touched.

    Examples
    --------
    >>> import io
    >>> read = pd.read_csv(io.StringIO("a,b,c\\nx,1,\\n,2,y\\n"))
    >>> moved = text_into_returning_pool(read.copy())
    >>> moved.equals(read), (moved.dtypes == read.dtypes).all()
    (True, np.True_)
    """
    pool = returning_pool()
    for i, dtype in enumerate(frame.dtypes):
        if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
            moved = _moved_text(frame.iloc[:, i], dtype, pool)
            if moved is not None:
                frame.isetitem(i, moved)
            del moved
            return_freed_heap()  # before the next copy: the heap's free pages are still resident
    return frame


def _moved_text(column: pd.Series, dtype: pd.StringDtype, pool: Any) -> pd.Series | None:
    """``column``'s Arrow text copied into ``pool`` as one chunk; None where pandas cannot be told the dtype."""
    import pyarrow as pa

    values = pa.array(column.array)  # the column's own Arrow data (a ChunkedArray if chunked)
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    moved = pa.concat_arrays(chunks, memory_pool=pool) if chunks else pa.array([], type=values.type)
    try:
        text = pd.arrays.ArrowStringArray(moved, dtype=dtype)
    except TypeError:  # pandas < 3 takes no dtype here: the column stays as it was read
        return None
    return pd.Series(text, index=column.index, name=column.name, copy=False)


def return_freed_heap() -> bool:
    """Hand the C heap's free pages back to the system (glibc's ``malloc_trim(0)``); False where there is none.

    Examples
    --------
    >>> return_freed_heap() in {True, False}
    True
    """
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


@cache
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim``, or None (another C library, another system)."""
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None
