"""Offline geocoding from the place table: place names, US ZIP codes and coordinates.

Everything is held in memory as plain dicts and lists so that a look-up is a handful of
dict probes with no database query; the index is built once per process and rebuilt when the
place table changes (see `get_geocoder`).
"""

import re
import string
import unicodedata

# Letters NFKD cannot split into a base letter and an accent.
_FOLD = str.maketrans(
    {"ø": "o", "æ": "ae", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "œ": "oe", "ı": "i", "ß": "ss"}
)
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Dots and apostrophes join ("U.S.A." → "usa", "O'Fallon" → "ofallon"); other punctuation splits.
_JOINERS = ".'’ʻ`´"
_SPLITTERS = re.compile(r"[\W_]+")
_ASCII_PUNCTUATION = (string.punctuation + string.whitespace).encode()
_ASCII_TABLE = bytes.maketrans(_ASCII_PUNCTUATION, b" " * len(_ASCII_PUNCTUATION))
_ASCII_JOINERS = b".'`"
_JOIN_TABLE = {ord(c): None for c in _JOINERS}
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "mt": "mount", "ft": "fort"}


def normalize(text: str) -> str:
    """The form names are compared in: lower case, no accents, single spaces, common
    abbreviations spelled out ("St. Helens" and "Saint Helens" meet)."""
    s = text.casefold()
    if s.isascii():
        # bytes.translate is ~10x faster than str.translate; this path runs per look-up.
        tokens = s.encode().translate(_ASCII_TABLE, _ASCII_JOINERS).decode().split()
    else:
        s = _COMBINING.sub("", unicodedata.normalize("NFKD", s))
        tokens = _SPLITTERS.sub(" ", s.translate(_FOLD).translate(_JOIN_TABLE)).split()
    if _ABBREVIATIONS.keys().isdisjoint(tokens):
        return " ".join(tokens)
    return " ".join([_ABBREVIATIONS.get(t, t) for t in tokens])
