"""Languages as ISO 639 codes, from what people write in lists and forms ("English, Spanish",
"English/Spanish", "ASL", "es"). No Django here: the import and the listing editor share it.

A language is stored as its ISO 639-1 code where one exists ("es"), else its ISO 639-3 code
("ase" for American Sign Language), the way BCP 47 language tags choose.
"""

import re
from functools import lru_cache

import pycountry

# Names and abbreviations people write that ISO 639 spells otherwise, or that a plain look-up
# would take for another language ("ASL" is also the code of Asilulu).
_SPOKEN_AS = {
    "asl": "ase",
    "american sign": "ase",
    "sign language": "sgn",
    "mandarin": "cmn",
    "cantonese": "yue",
    "taiwanese": "nan",
    "hokkien": "nan",
    "farsi": "fa",
    "persian": "fa",
    "haitian creole": "ht",
    "kreyol": "ht",
    "creole": "ht",
    "bangla": "bn",
    "filipino": "fil",
    "tagalog": "tl",
    "chinese": "zh",
    "punjabi": "pa",
    "brazilian portuguese": "pt",
    "castilian": "es",
    "espanol": "es",
    "español": "es",
    "francais": "fr",
    "français": "fr",
}

_TAGGED = re.compile(r"^(?P<language>[a-z]{2,3})-(?P<region>[a-z]{2}|[0-9]{3}|[a-z]{4})$")
_SPLIT = re.compile(r"\s*(?:[,;/|+&]|\band\b|\by\b|\bet\b)\s*", re.IGNORECASE)


def _code_of(language: object) -> str:
    return str(getattr(language, "alpha_2", "") or language.alpha_3)  # type: ignore[attr-defined]


@lru_cache(maxsize=4096)
def language_code(text: str) -> str:
    """The ISO 639 code of one language written as a name or a code, or "" if unknown."""
    key = " ".join(text.strip().lower().split())
    if not key:
        return ""
    if key in _SPOKEN_AS:
        return _SPOKEN_AS[key]
    tagged = _TAGGED.match(key)
    if tagged:
        # A BCP 47 tag such as pt-BR: the language must be known, the region is kept.
        primary = language_code(tagged["language"])
        region = tagged["region"]
        if not primary:
            return ""
        return f"{primary}-{region.upper() if len(region) == 2 else region.title()}"
    # Codes first: a plain look-up would read "en" as the name of another language.
    if len(key) == 2:
        found = pycountry.languages.get(alpha_2=key)
        return _code_of(found) if found else ""
    if len(key) == 3:
        found = pycountry.languages.get(alpha_3=key)
        if found:
            return _code_of(found)
    for name in (key, key.removesuffix(" language"), key.removesuffix(" only")):
        try:
            return _code_of(pycountry.languages.lookup(name))
        except LookupError:
            continue
    return ""


def language_codes(text: object) -> tuple[list[str], list[str]]:
    """(codes, unknown parts) of a list of languages written in one cell or a list of cells."""
    parts: list[str] = []
    for piece in text if isinstance(text, list | tuple) else [text]:
        if piece not in (None, ""):
            parts.extend(p for p in _SPLIT.split(str(piece)) if p and p.strip())
    codes: list[str] = []
    unknown: list[str] = []
    for part in parts:
        code = language_code(part)
        if code and code not in codes:
            codes.append(code)
        elif not code:
            unknown.append(part.strip())
    return codes, unknown


def language_name(code: str) -> str:
    """The English name of an ISO 639 code, for pages (the code itself if unknown)."""
    found = pycountry.languages.get(alpha_2=code) if len(code) == 2 else None
    found = found or pycountry.languages.get(alpha_3=code)
    return str(found.name) if found else code
