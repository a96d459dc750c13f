from sources.normalize import email_clean, name_clean, phone_clean, tags_list, website_clean


def test_it_makes_links_people_type_comparable() -> None:
    assert website_clean("https://WWW.Example.org/groups/") == "example.org/groups"
    assert website_clean("example.org/groups?utm_source=x") == "example.org/groups"
    assert website_clean("not a link") == ""
    assert (
        website_clean("https://m.facebook.com/groups/RoseCity/about/")
        == website_clean("facebook.com/groups/rosecity")
        == "facebook.com/groups/rosecity"
    )


def test_it_cleans_names_emails_phones_and_tags() -> None:
    assert name_clean("  Österreich  Solidarität!") == "osterreich solidaritat"
    assert email_clean("mailto:Hello@Example.ORG ") == "hello@example.org"
    assert email_clean("not an email") == ""
    assert phone_clean("(503) 555-0100 ext 4", "US") == "+15035550100"
    assert phone_clean("+44 20 7946 0958", "GB") == "+442079460958"
    assert phone_clean("12") == ""
    assert tags_list("Food; housing,food|") == ["Food", "housing"]


def test_it_reads_country_codes_people_write(places) -> None:
    from places.geocoder import reset_geocoder
    from sources.services.geocoding import _Places

    reset_geocoder()
    lookup = _Places()
    assert lookup.country_code("us") == "US"
    assert lookup.country_code("Canada") == "CA"
    assert lookup.country_code("Nowhere Land") == ""
    reset_geocoder()
