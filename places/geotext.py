"""How place names are compared and how a typed place is cut into terms."""

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


# Where typed place texts separate their terms: commas, semicolons, bars, slashes, brackets
# ("Chiaravalle (AN)"), a dash between spaces ("San Casciano - Firenze") and a full stop after a
# word of four letters or more ("Minas de Riotinto. HUELVA"; "St. Helens" stays whole).
_TERM_SPLIT = re.compile(r"\s*(?:[,;|/()\[\]]|\s[-–—]\s|(?<=\w{4})\.\s)\s*")


def split_terms(text: str) -> list[str]:
    """The normalized terms of a typed place, in the order they were typed."""
    return [t for t in (normalize(p) for p in _TERM_SPLIT.split(text)) if t]
