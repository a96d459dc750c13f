"""One organization under two names, phones or sites, and two listings of one association at
one address: the cases the umbrella-link set (bench/resolution) missed or merged wrongly."""

from typing import Any

from resolution import engine
from resolution.features import clean_phones, name_aliases, record_features
from resolution.services import current_model


def _record(uid: int, name: str, **fields: Any) -> dict[str, Any]:
    return record_features(uid, {"name": name, **fields})


def _together(records: list[dict[str, Any]]) -> dict[tuple[int, int], bool]:
    pairs = engine.predict(records, current_model())
    ids = [r["unique_id"] for r in records]
    clusters = engine.cluster(ids, pairs, threshold=engine.MATCH_THRESHOLD)
    return {(a, b): clusters[a] == clusters[b] for a in ids for b in ids if a < b}


def _pair(records: list[dict[str, Any]], a: int, b: int) -> engine.Pair:
    pairs = engine.predict(records, current_model(), threshold=0.0)
    return next(p for p in pairs if (p.left, p.right) == (a, b))


def test_it_reads_a_name_by_its_initials_and_its_trade_name() -> None:
    long_name = "centro de estudios rurales y de agricultura internacional"
    assert "cerai" in name_aliases(long_name)
    assert "beacon" in name_aliases("ethical legal services trading as beacon")
    # Three initials name too many things to count.
    assert name_aliases("south bay mutual aid") == ["sbma"]
    assert name_aliases("bay mutual aid") == []


def test_it_joins_a_trade_name_with_the_company_that_trades_under_it() -> None:
    records = [
        _record(
            1,
            "Beacon",
            city="Oxford",
            latitude=51.730,
            longitude=-1.205,
            website="http://www.beaconchc.co.uk/",
            phone="0345 548 0300",
        ),
        _record(
            2,
            "Ethical Legal Services trading as Beacon",
            city="Abingdon",
            latitude=51.673,
            longitude=-1.266,
            website="http://www.beaconchc.co.uk",
            phone="Tel: 0345 548 0300",
        ),
    ]
    assert _together(records)[(1, 2)]
    name = _pair(records, 1, 2).explanation["name"]
    assert name[1] == "one name is the other's initials or trade name"
    assert name[0] > 0


def test_it_reads_phone_numbers_whatever_their_prefix() -> None:
    assert clean_phones(["+44 (0)20 7405 5942"]) == clean_phones(["020 7405 5942"])
    assert clean_phones(["T: +44 117 910 6700 F: +44 117 910 6701"]) == [
        "tel:79106700",
        "tel:79106701",
    ]
    assert clean_phones(["n/a", "12"]) == []


def test_it_joins_one_charity_listed_twice_by_its_phone() -> None:
    # One row's coordinates are swapped and its website misspelled; its phone is the same.
    common = {"city": "London", "postcode": "W6 9JJ", "phone": "020 3327 2070"}
    records = [
        _record(
            1,
            "Resurgo Trust",
            latitude=-0.2337,
            longitude=51.4918,
            website="http://www.resurgo.org.uk",
            email="info@resurgo.org.uk",
            **common,
        ),
        _record(
            2,
            "Resurgo Trust",
            latitude=51.4919,
            longitude=-0.2317,
            website="www.reurgo.org.uk",
            email="recruitment@resurgo.org.uk",
            **common,
        ),
    ]
    assert _together(records)[(1, 2)]


def test_it_keeps_an_association_and_the_museum_it_runs_at_its_address_apart() -> None:
    # Same address, postcode and contact page: a place in common, counted once.
    common = {
        "city": "Minas de Riotinto",
        "postcode": "21660",
        "latitude": 37.69,
        "longitude": -6.59,
        "website": "http://www.asociacionmatilde.org/contacto.html",
    }
    records = [
        _record(1, "ASOCIACIÓN MATILDE", email="info@asociacionmatilde.org", **common),
        _record(
            2,
            "CENTRO DE INTERPRETACIÓN ETNOLÓGICO MATILDE GALLARDO",
            email="centrodeinterpretacion@asociacionmatilde.org",
            **common,
        ),
    ]
    assert not _together(records)[(1, 2)]
    assert _pair(records, 1, 2).explanation["postcode"][0] == 0.0


def test_it_keeps_shops_named_for_their_towns_apart() -> None:
    # "Johann" is in no word list of places; it is the shop's own town.
    records = [
        _record(
            1,
            "Weltladen Hall in Tirol",
            city="Hall in Tirol",
            latitude=47.28,
            longitude=11.51,
            website="http://www.weltlaeden.at/",
            email="hall@weltladen.at",
        ),
        _record(
            2,
            "Weltladen St. Johann in Tirol",
            city="St. Johann in Tirol",
            latitude=47.52,
            longitude=12.42,
            website="www.weltlaeden.at",
            email="st.johann-tirol@weltladen.at",
        ),
    ]
    assert not _together(records)[(1, 2)]
    assert _pair(records, 1, 2).explanation["name"][1] == "names name different places"


def test_it_reads_a_misspelt_word_and_an_office_word_as_the_same_name() -> None:
    records = [
        _record(
            1,
            "Klimabündnis Regionalstelle Steiermark",
            latitude=47.07227,
            longitude=15.45292,
            website="http://steiermark.klimabuendnis.at/",
        ),
        _record(
            2,
            "Klimabründnis Steiermark",
            city="Graz",
            latitude=47.07248,
            longitude=15.45310,
            website="http://steiermark.klimabuendnis.at/",
            email="steiermark@klimabuendnis.at",
        ),
    ]
    assert _together(records)[(1, 2)]


def test_it_reads_one_site_under_two_country_endings_and_mail_domains() -> None:
    a = _record(1, "Real Ideas Organisation CIC", website="https://realideas.org/")
    b = _record(2, "Real Ideas Organisation CIC", website="www.realideas.org.uk")
    assert a["sites"] == b["sites"] == ["realideas"]
    # An e-mail domain counts as the group's site; a mail provider's does not.
    assert _record(3, "Issba", email="sh.reutte@issba.at")["sites"] == ["issba"]
    assert _record(4, "Horta", email="someone@hotmail.com")["sites"] is None


def test_the_pair_page_names_a_shared_phone_in_words() -> None:
    from resolution.selectors import explanation_rows

    rows = explanation_rows({"links": [12.06, "link shared by 2 names or fewer", "tel:74055942|1"]})
    assert rows[0]["detail"].startswith("the phone number ending 74055942, given by 1 listing")
