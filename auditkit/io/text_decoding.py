"""Decoding a data file's bytes to text: a given encoding, a byte-order mark, or UTF-8 — never a guess."""

from __future__ import annotations

import codecs
from typing import Any

from auditkit.exceptions import DataReadError

# (byte-order mark, codec that reads it, name shown to users, codecs a user may give for it).
# UTF-32 comes first: its little-endian mark starts with UTF-16's.
BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32 LE", {"utf-32", "utf-32-le"}),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32 BE", {"utf-32", "utf-32-be"}),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8", {"utf-8", "utf-8-sig"}),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16 LE", {"utf-16", "utf-16-le"}),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16 BE", {"utf-16", "utf-16-be"}),
)
ENCODING_EXAMPLES = "utf-8, latin-1, cp1252 or utf-16"
BINARY_SNIFF_BYTES = 8192  # bytes looked at to tell binary content from text


def decode_text(raw: bytes, where: str, encoding: str | None = None,
                binary_hint: str = "") -> tuple[str, dict[str, Any]]:
    """``raw`` as text, and how it was decoded (``encoding`` and ``encoding_source``).

    Parameters
    ----------
    raw : bytes
        The file's content.
    where : str
        The file, for messages.
    encoding : str, optional
        A Python codec name given by the user. Without it a byte-order mark decides, else UTF-8.
    binary_hint : str, optional
        Appended to the message about content that is binary rather than text.

    Raises
    ------
    DataReadError
        An unknown codec, a codec that contradicts the byte-order mark, bytes the codec cannot
        decode (with a hint to pass ``encoding``), or text holding NUL characters (binary
        content, or UTF-16 without a byte-order mark).

    Examples
    --------
    >>> decode_text("a,b\\n".encode("utf-16"), "data.csv")
    ('a,b\\n', {'encoding': 'UTF-16 LE', 'encoding_source': 'byte-order mark'})
    >>> decode_text("café".encode("latin-1"), "data.csv", encoding="latin-1")[0]
    'café'
    >>> decode_text("café".encode("latin-1"), "data.csv")
    Traceback (most recent call last):
    ...
    auditkit.exceptions.DataReadError: data.csv is not UTF-8 text (byte 0xe9 on line 1); pass its encoding, ...
    """
    codec, how = text_encoding(raw, where, encoding, binary_hint)
    text = _decode(raw, where, codec, given=how["encoding_source"] == "given").removeprefix("\ufeff")
    if "\x00" in text:
        raise DataReadError(not_text_message(raw, where, how["encoding"], binary_hint))
    return text, how


def text_encoding(head: bytes, where: str, encoding: str | None = None,
                  binary_hint: str = "") -> tuple[str, dict[str, Any]]:
    """The codec to decode a file with, decided from its first bytes, and how it was decided.

    The decision of :func:`decode_text` without decoding: ``head`` (at least the first 8 KiB,
    or the whole file if shorter) is enough. The same errors, except those that need every byte.

    Examples
    --------
    >>> text_encoding("a,b\\n".encode("utf-8-sig"), "data.csv")
    ('utf-8-sig', {'encoding': 'UTF-8', 'encoding_source': 'byte-order mark'})
    >>> text_encoding(b"a,b\\n", "data.csv", encoding="latin-1")
    ('latin-1', {'encoding': 'latin-1', 'encoding_source': 'given'})
    """
    mark = next((m for m in BYTE_ORDER_MARKS if head.startswith(m[0])), None)
    if encoding is None and mark is None and _looks_binary(head[:BINARY_SNIFF_BYTES]):
        raise DataReadError(not_text_message(head, where, "UTF-8", binary_hint))
    if encoding is not None:
        codec = _codec_name(encoding)
        if mark is not None and codec not in mark[3]:
            raise DataReadError(
                f"{where} starts with a {mark[2]} byte-order mark, but the encoding given is {encoding}; "
                f"leave out encoding= to read it as {mark[2]}"
            )
        return encoding, {"encoding": encoding, "encoding_source": "given"}
    if mark is not None:
        return mark[1], {"encoding": mark[2], "encoding_source": "byte-order mark"}
    return "utf-8", {"encoding": "UTF-8", "encoding_source": "default"}


def ascii_compatible(codec: str) -> bool:
    """Whether ``codec`` writes ASCII as ASCII, so a 0 byte is a NUL character and nothing else.

    Examples
    --------
    >>> ascii_compatible("utf-8-sig"), ascii_compatible("cp1252"), ascii_compatible("utf-16")
    (True, True, False)
    """
    ascii_text = "".join(map(chr, range(128)))
    try:
        encoder = codecs.getincrementalencoder(codec)()
        encoder.encode("")  # a codec that writes a byte-order mark (utf-8-sig) writes it here, first
        return encoder.encode(ascii_text) == ascii_text.encode("ascii")
    except (LookupError, UnicodeError):
        return False


def _codec_name(encoding: str) -> str:
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise DataReadError(f"unknown encoding '{encoding}'; give a codec name such as {ENCODING_EXAMPLES}") from None
    if not getattr(info, "_is_text_encoding", True):
        raise DataReadError(f"'{encoding}' is not a text encoding; give one such as {ENCODING_EXAMPLES}")
    return info.name


def _decode(raw: bytes, where: str, codec: str, *, given: bool) -> str:
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        byte = raw[exc.start: exc.start + 1].hex()
        if given:
            raise DataReadError(
                f"{where} cannot be decoded as {codec}: byte 0x{byte} on line {line} is invalid; "
                f"check encoding="
            ) from None
        raise DataReadError(
            f"{where} is not UTF-8 text (byte 0x{byte} on line {line}); pass its encoding, "
            "e.g. encoding='latin-1' (or 'cp1252' for files saved by Windows programs)"
        ) from None


def _looks_binary(head: bytes) -> bool:
    """NUL bytes, or many control characters other than tab, newline, form feed and carriage return."""
    controls = sum(head.count(byte) for byte in (*range(0, 9), 11, *range(14, 32)))
    return b"\x00" in head or controls > 0.05 * len(head)


def not_text_message(raw: bytes, where: str, encoding: str, binary_hint: str) -> str:
    """Why the content is not text: UTF-16 without a byte-order mark, or binary.

    Examples
    --------
    >>> not_text_message("a,b\\n".encode("utf-16-le"), "data.csv", "UTF-8", "")
    "data.csv looks like UTF-16 text without a byte-order mark (every other byte is 0); pass encoding='utf-16-le'"
    >>> not_text_message(bytes(range(256)), "data.csv", "UTF-8", "")
    'data.csv is binary, not UTF-8 text'
    """
    head = raw[:4096]
    odd, even = head[1::2].count(0), head[0::2].count(0)
    half = len(head) // 2
    if half and max(odd, even) > 0.4 * half and min(odd, even) < 0.1 * half:
        order = "le" if odd > even else "be"
        return (f"{where} looks like UTF-16 text without a byte-order mark (every other byte is 0); "
                f"pass encoding='utf-16-{order}'")
    return f"{where} is binary, not {encoding} text{binary_hint}"
