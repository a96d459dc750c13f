"""Which text encoding a published list was saved in.

Lists come from every spreadsheet program of every country: UTF-8 with or without a byte order
mark, UTF-16 (Excel's "Unicode text"), Windows-1252, Shift-JIS, GB18030, Windows-1251... A byte
order mark decides; then UTF-8, which is what most files are; then charset-normalizer guesses
from the first megabyte, and the guess is checked against the whole file.

No Django here.
"""

from __future__ import annotations

import codecs
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from charset_normalizer import from_bytes

# Longest first: the UTF-32 little-endian mark begins with the UTF-16 one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
SAMPLE = 1 << 20
_CHUNK = 1 << 20


def _decodes(chunks: Iterable[bytes], encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for chunk in chunks:
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _latin_only(text: str) -> bool:
    return all(ord(c) < 128 or not c.isalpha() or "LATIN" in unicodedata.name(c, "") for c in text)


def guess(sample: bytes, whole: Iterable[bytes] | None = None) -> str:
    """The encoding of a text whose first bytes are `sample` (`whole`, when given, yields all
    of it again for checking). Always answers: Latin-1 decodes any byte."""
    for bom, encoding in _BOMS:
        if sample.startswith(bom):
            return encoding
    utf8 = _decodes([sample] if whole is None else whole, "utf-8")
    # NUL bytes are valid UTF-8 but no list holds them: they betray UTF-16 without its mark.
    if utf8 and b"\x00" not in sample:
        return "utf-8"
    best = from_bytes(sample).best()
    encoding = best.encoding if best is not None else ""
    if encoding.startswith(("utf_16", "utf_32")):
        return encoding
    if utf8:
        return "utf-8"
    if best is not None and encoding not in ("ascii", "utf_8"):
        text = str(best)
        # The detector often names Central European or Baltic code pages for Western text;
        # where a one-byte guess reads only Latin letters, Windows-1252, by far the commonest
        # legacy encoding of lists, is the safer reading.
        if len(text) == len(sample) and _latin_only(text) and _decodes([sample], "cp1252"):
            return "cp1252"
        return encoding
    return "cp1252" if _decodes([sample], "cp1252") else "latin-1"


def _file_chunks(path: Path) -> Iterable[bytes]:
    with path.open("rb") as f:
        yield from iter(lambda: f.read(_CHUNK), b"")


def file_encoding(path: Path) -> str:
    """The encoding of a file on disk, read in chunks (never held whole in memory); the guess
    is checked against the whole file and falls back to Windows-1252, then Latin-1."""
    with path.open("rb") as f:
        sample = f.read(SAMPLE)
    encoding = guess(sample, _file_chunks(path))
    if encoding == "utf-8" or _decodes(_file_chunks(path), encoding):
        return encoding
    return "cp1252" if _decodes(_file_chunks(path), "cp1252") else "latin-1"


def decode(data: bytes) -> str:
    """A whole document (a JSON file) as text, in the encoding `guess` finds."""
    encoding = guess(data[:SAMPLE], [data])
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")
