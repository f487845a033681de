"""Reading a data file in one pass: hashed as it streams into the parser, never held whole in memory.

A CSV/TSV file (gzip-compressed or not) in UTF-8 or another ASCII-compatible encoding
streams from disk through SHA-256 (of the bytes on disk, as :func:`hashlib.file_digest`
gives) and, decompressed, into pandas' C reader, which decodes it strictly; NUL bytes are
refused on the way (binary content). A Parquet file is hashed in chunks and read by pyarrow,
only the columns asked for when all of them exist (column projection).

Everything else, and every file the streaming read finds a problem with, is read the way
it always was -- the whole file in memory (:func:`parse_bytes`) -- so a bad file gets exactly
the message it always got, and a UTF-16 file (whose bytes hold zeros) is still read.
Measured on this machine (benchmarks/bench_data_bias.py), pandas' C reader parsed the
1M-row CSV faster than ``engine="pyarrow"``, and it infers the same dtypes as before.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import inspect
import io
import itertools
from pathlib import Path
from typing import Any

import pandas as pd

from auditkit.exceptions import DataReadError
from auditkit.io.arrow_memory import read_into_returning_pool, text_into_returning_pool
from auditkit.io.file_formats import (
    READ_FORMATS,
    TAB_SUFFIXES,
    first_line,
    parse_bytes,
    refuse_encoding,
    refuse_parquet_columns,
    refuse_unread_format,
)
from auditkit.io.frame_checks import duplicate_names_message, header_names
from auditkit.io.text_decoding import ascii_compatible, text_encoding
from auditkit.params import show

GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
HEAD_BYTES = 64 * 1024  # enough to tell the format, the encoding and binary content
# pyarrow frees each Arrow column once converted (pandas >= 3 passes these on): peak 1.6x the frame, not 2x.
_LEAN_CONVERSION = ({"to_pandas_kwargs": {"self_destruct": True, "split_blocks": True}}
                    if "to_pandas_kwargs" in inspect.signature(pd.read_parquet).parameters else {})
CHUNK_BYTES = 256 * 1024  # bytes read at a time (pandas' own chunk size)


class _Refused(Exception):
    """The streaming read met something the whole-file read decides about (and words)."""


class _Scanned(io.RawIOBase):
    """A binary stream read through once: its bytes go into ``digest``; NUL bytes are refused."""

    def __init__(self, source: Any, digest: Any = None, refuse_nul: bool = False) -> None:
        super().__init__()
        self.source, self.digest, self.refuse_nul = source, digest, refuse_nul

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.source.read(len(buffer))
        if self.digest is not None:
            self.digest.update(data)
        if self.refuse_nul and b"\x00" in data:
            raise _Refused("NUL byte")
        buffer[: len(data)] = data
        return len(data)

    def drain(self) -> None:
        """Read (and hash) whatever the parser left unread, e.g. bytes after the end of a gzip stream."""
        while self.read(CHUNK_BYTES):
            pass


def open_checked(path: Path) -> Any:
    """``path`` opened for reading bytes, or the one-line error that says why it cannot be.

    Examples
    --------
    >>> open_checked(Path("no/such/file.csv"))
    Traceback (most recent call last):
    ...
    auditkit.exceptions.DataReadError: data file not found: no/such/file.csv
    """
    try:
        if path.is_dir():
            raise DataReadError(f"data path {path} is a directory; pass one of its files ({READ_FORMATS} are read)")
        if not path.exists():
            raise DataReadError(f"data file not found: {path}")
        if not path.is_file():
            raise DataReadError(f"data path {path} is not a regular file")
        try:
            return path.open("rb")
        except PermissionError:
            raise DataReadError(f"cannot read data file {path}: permission denied") from None
        except OSError as exc:
            raise DataReadError(f"cannot read data file {path}: {exc.strerror or exc}") from None
    except OSError as exc:  # e.g. a name too long for the file system
        raise DataReadError(f"cannot read data file {show(str(path))}: {exc.strerror or exc}") from None


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in chunks.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     (Path(folder) / "a.csv").write_bytes(b"a,b\\n1,2\\n")
    ...     file_sha256(Path(folder) / "a.csv") == hashlib.sha256(b"a,b\\n1,2\\n").hexdigest()
    8
    True
    """
    with open_checked(path) as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def read_file(path: Path, encoding: str | None, columns: list[str] | None = None,
              ) -> tuple[pd.DataFrame, str, dict[str, Any]]:
    """The frame in the file at ``path``, the SHA-256 of the file's bytes, and how it was read.

    ``columns``: read only these columns of a Parquet file when it has every one of them
    (the hash still covers the whole file); ignored for other formats.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "a.csv").write_bytes(b"a,b\\n1,x\\n")
    ...     frame, sha256, how = read_file(Path(folder) / "a.csv", None)
    >>> frame.shape, sha256 == hashlib.sha256(b"a,b\\n1,x\\n").hexdigest(), how["format"], how["encoding"]
    ((1, 2), True, 'csv', 'UTF-8')
    """
    head = _read_from(path, HEAD_BYTES)
    compressed = head.startswith(GZIP_MAGIC)
    content = _gunzipped_head(path) if compressed else head
    suffixes = [s.lower() for s in path.suffixes]
    if compressed and suffixes[-1:] == [".gz"]:
        suffixes = suffixes[:-1]
    if not head or content is None or (not compressed and suffixes[-1:] == [".gz"]):
        return _read_whole(path, encoding)  # empty, or gzip it is not: its messages
    if content.startswith(PARQUET_MAGIC):
        refuse_encoding(encoding, f"the Parquet file {path}")
        return _read_whole(path, encoding) if compressed else _read_parquet_file(path, columns)
    refuse_unread_format(content, path, suffixes[-1] if suffixes else "")
    codec, how = text_encoding(content, str(path), encoding, binary_hint=f"; auditkit reads {READ_FORMATS}")
    if ascii_compatible(codec):
        sep = "\t" if suffixes[-1:] and suffixes[-1] in TAB_SUFFIXES else ","
        try:
            return _stream_delimited(path, compressed, codec, sep, how)
        except Exception:  # noqa: BLE001 - any problem: the whole-file read decides, with its own message
            pass
    return _read_whole(path, encoding)


def _gunzipped_head(path: Path) -> bytes | None:
    """The first bytes of a gzip-compressed file's content; None if they do not decompress."""
    try:
        with gzip.open(path, "rb") as stream:
            return stream.read(HEAD_BYTES)
    except Exception:  # noqa: BLE001 - a broken gzip stream: the whole-file read words it
        return None


def _stream_delimited(path: Path, compressed: bool, codec: str, sep: str,
                      how: dict[str, Any]) -> tuple[pd.DataFrame, str, dict[str, Any]]:
    names = _header(path, compressed, codec, sep)
    if not names or duplicate_names_message(names):
        raise _Refused("no header, or duplicate names")
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        hashed = _Scanned(handle, digest=digest)
        content = _Scanned(gzip.GzipFile(fileobj=hashed, mode="rb") if compressed else hashed, refuse_nul=True)
        utf8 = codecs.lookup(codec).name in {"utf-8", "utf-8-sig"}  # the C reader skips a UTF-8 byte-order mark
        frame = pd.read_csv(io.BufferedReader(content, CHUNK_BYTES), sep=sep, encoding="utf-8" if utf8 else codec)
        hashed.drain()
    frame = text_into_returning_pool(frame)  # out of the C heap, whose holes are then handed back
    kind = "tsv" if sep == "\t" else "csv"
    return frame, digest.hexdigest(), {"format": kind, "compression": "gzip" if compressed else None, **how}


def _header(path: Path, compressed: bool, codec: str, sep: str) -> list[str] | None:
    """The header row as written, reading only the lines up to it."""
    with (gzip.open(path, "rb") if compressed else path.open("rb")) as raw:
        text = io.TextIOWrapper(raw, encoding=codec, newline="\n")
        first = text.readline().removeprefix("\ufeff")
        return header_names(itertools.chain([first], text), sep)


def _read_parquet_file(path: Path, columns: list[str] | None) -> tuple[pd.DataFrame, str, dict[str, Any]]:
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except Exception as exc:  # noqa: BLE001 - any parse failure is a bad file
        raise DataReadError(f"could not read {path}: not a valid Parquet file ({first_line(exc)})") from None
    refuse_parquet_columns(schema, path)
    wanted = _projection(list(schema.names), columns)
    try:
        frame = _parquet_frame(path, wanted)
    except Exception as exc:  # noqa: BLE001
        raise DataReadError(f"could not read {path}: {type(exc).__name__}: {first_line(exc)}") from None
    how: dict[str, Any] = {"format": "parquet", "compression": None}
    if wanted is not None:
        how["columns_read"] = wanted
    return frame, file_sha256(path), how


def _parquet_frame(path: Path, wanted: list[str] | None) -> pd.DataFrame:
    """``pandas.read_parquet(path, columns=wanted)``, read one column at a time to keep the peak memory low.

    Reading every column at once holds the decoded Arrow table beside the growing frame (and Arrow's
    allocator keeps what it freed): about twice the frame. One column at a time, each converted and
    its Arrow memory handed back before the next, the peak is the frame and one column; the read allocates from
    :func:`~auditkit.io.arrow_memory.returning_pool`, which returns what it frees at once. A file that
    stores an index (or nothing to read column by column) is read whole, as pandas reads it.

    The file is opened as an Arrow file on that pool too: a path handed to pyarrow reads its bytes into
    Arrow's process-wide I/O buffers, which come from the pool that was the default when pyarrow started
    (mimalloc, which keeps what it freed: ~35 MB of a 1M-row file for the rest of the audit).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    # what the read frees goes back to the system, not kept by Arrow
    with read_into_returning_pool() as pool, pa.OSFile(str(path), memory_pool=pool) as source:
        parquet = pq.ParquetFile(source)
        names = wanted if wanted is not None else list(parquet.schema_arrow.names)
        if not _default_index(parquet.schema_arrow.pandas_metadata) or not names:
            frame = pd.read_parquet(path, columns=wanted, **_LEAN_CONVERSION)
            pool.release_unused()
            return frame
        columns = {}
        for name in names:
            table = parquet.read(columns=[name], use_pandas_metadata=False)
            columns[name] = table.to_pandas(self_destruct=True, split_blocks=True).iloc[:, 0]
            del table
            pool.release_unused()
    frame = pd.DataFrame(columns, copy=False)
    return _labelled_as_pandas(frame, parquet.schema_arrow.empty_table().select(names))


def _labelled_as_pandas(frame: pd.DataFrame, empty: Any) -> pd.DataFrame:
    """``frame`` with the column labels and ``attrs`` pandas gives the file's columns (``empty``: none of its rows).

    The file stores each label as text; its pandas metadata says what they were (integers, tuples,
    the labels' name) and the frame's ``attrs``, which pandas restores when it reads the whole table.
    """
    template = empty.to_pandas()
    frame.columns = template.columns
    frame.attrs = template.attrs
    return frame


def _default_index(pandas_metadata: dict | None) -> bool:
    """Whether the index pandas wrote (if any) is ``0, 1, 2, ...``, as a frame of the columns alone gets."""
    indexes = (pandas_metadata or {}).get("index_columns") or []
    return all(isinstance(i, dict) and i.get("kind") == "range" and i.get("name") is None
               and i.get("start") == 0 and i.get("step") == 1 for i in indexes)


def _projection(names: list[str], columns: list[str] | None) -> list[str] | None:
    """The file's columns asked for, in the file's order; None (every column) unless all asked for exist."""
    if columns is None or not set(columns) <= set(names) or set(names) <= set(columns):
        return None
    return [name for name in names if name in set(columns)]


def _read_whole(path: Path, encoding: str | None) -> tuple[pd.DataFrame, str, dict[str, Any]]:
    """The whole-file read: the bytes in memory, hashed, parsed."""
    raw = _read_from(path)
    frame, how = parse_bytes(raw, path, encoding)
    return frame, hashlib.sha256(raw).hexdigest(), how


def _read_from(path: Path, size: int = -1) -> bytes:
    """The first ``size`` bytes of the file (all of them by default)."""
    with open_checked(path) as handle:
        try:
            return handle.read(size)
        except OSError as exc:
            raise DataReadError(f"cannot read data file {path}: {exc.strerror or exc}") from None
