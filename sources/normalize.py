"""Clean values kept beside the originals: names, URLs, Facebook links, e-mails, phones.

No Django and no database here, so the functions run per row at full speed and are easy to test.
"""

import hashlib
import json
import re
from typing import Any
from urllib.parse import urlsplit

from places.geocoder import normalize as _normalize_words

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
_FACEBOOK_HOST = re.compile(r"(^|\.)(facebook|fb)\.(com|me)$", re.I)
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[a-z]{2,}$", re.I)
# Tracking and session parameters never make two links different.
_TRACKING = re.compile(r"^(utm_|fbclid|ref|mibextid)", re.I)


def name_clean(name: str) -> str:
    """The form names are compared in: lower case, no accents or punctuation, single spaces."""
    return _normalize_words(name)[:300]


def url_parts(value: str) -> tuple[str, str] | None:
    """(host without "www.", path without trailing slash) of what someone typed as a link."""
    value = value.strip().strip("<>\"'")
    if not value or " " in value or "." not in value:
        return None
    if not _SCHEME.match(value):
        value = "https://" + value.lstrip("/")
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    host = (parts.hostname or "").lower().rstrip(".")
    if not host or "." not in host:
        return None
    host = host.removeprefix("www.").removeprefix("m.").removeprefix("web.")
    path = parts.path.rstrip("/")
    if parts.query and not _FACEBOOK_HOST.search(host):
        kept = "&".join(p for p in parts.query.split("&") if p and not _TRACKING.match(p))
        if kept:
            path += "?" + kept
    elif parts.query and "profile.php" in path:
        # facebook.com/profile.php?id=123 is the only Facebook link whose query names the page.
        ids = [p for p in parts.query.split("&") if p.startswith("id=")]
        path += "?" + ids[0] if ids else ""
    return host, path


def is_facebook(value: str) -> bool:
    parts = url_parts(value)
    return bool(parts and _FACEBOOK_HOST.search(parts[0]))


def website_clean(value: str) -> str:
    """A comparable form of a link: "https://WWW.Example.org/x/" and "example.org/x" meet."""
    parts = url_parts(value)
    if parts is None:
        return ""
    host, path = parts
    if _FACEBOOK_HOST.search(host):
        host = "facebook.com"
        # Group and page links differ in spelling only: /groups/123/, /pg/name/, /name/about.
        path = re.sub(r"^/pg/", "/", path)
        path = re.sub(r"/(about|posts|members|community|photos|events|info)$", "", path)
        path = path.lower()
    return (host + path)[:500]


def email_clean(value: str) -> str:
    value = value.strip().removeprefix("mailto:").strip().lower()
    return value if _EMAIL.match(value) and len(value) <= 254 else ""


def phone_clean(value: str, country_code: str = "") -> str:
    """Digits with a leading + where the country is known ("(503) 555-0100" → "+15035550100")."""
    text = value.strip()
    if not text:
        return ""
    # Cut extensions and second numbers: "503-555-0100 ext 4", "555-0100 / 555-0101".
    text = re.split(r"(?i)\s*(?:ext\.?|x|/|;|,| or )\s*\d*\s*$", text)[0] or text
    digits = re.sub(r"\D", "", text)
    if len(digits) < 6:
        return ""
    if text.startswith("+"):
        return "+" + digits[:20]
    if text.startswith("00"):
        return "+" + digits[2:22]
    if country_code in ("US", "CA", "") and len(digits) == 10:
        return "+1" + digits
    if country_code in ("US", "CA", "") and len(digits) == 11 and digits.startswith("1"):
        return "+" + digits
    return digits[:20]


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(text(v) for v in value)
    # NUL has no meaning in a name or address, and PostgreSQL refuses it in text and JSON.
    return str(value).replace("\x00", "").strip()


def tags_list(value: Any) -> list[str]:
    if isinstance(value, list):
        items = [text(v) for v in value]
    else:
        items = re.split(r"[;,|\n]", text(value))
    seen: list[str] = []
    for item in items:
        item = item.strip()
        if item and item.lower() not in (s.lower() for s in seen):
            seen.append(item[:60])
    return seen[:30]


def content_hash(raw: dict[str, Any]) -> str:
    """The same row read again hashes the same, whatever its position in the file."""
    data = json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha1(data.encode(), usedforsecurity=False).hexdigest()


def content_key(name_clean: str, where: str, website: str) -> str:
    data = "\x1f".join((name_clean, where, website))
    return hashlib.sha1(data.encode(), usedforsecurity=False).hexdigest()[:24]
