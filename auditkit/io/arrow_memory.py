"""The Arrow memory pool a file is read into: one that hands freed memory back to the system at once.

Arrow's default pool (mimalloc in the wheels) keeps memory it freed for reuse. A Parquet file read
column by column frees each column's decoded pages and temporary arrays as it goes; kept, they stay
in the process (about 30 MB at 1M rows of the scale benchmark, ~0.2x the frame) for the rest of the
audit. Arrow's jemalloc pool with a decay time of 0 returns them as soon as they are freed (the
system allocator where Arrow was built without jemalloc). The frame's own columns live in that pool
(Arrow's zero-copy conversion keeps them there) and go back to it when the frame is dropped.

This module imports nothing from auditkit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


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
