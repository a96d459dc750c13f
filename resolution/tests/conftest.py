from collections.abc import Iterator
from pathlib import Path

import pytest

from places.geocoder import reset_geocoder

# Two lists of the same groups, with duplicates inside each and edits between them.
FIRST_CSV = (
    "Resource,City,State/Territory,Country,General,Social Media\n"
    "Queens Mutual Aid Network,Queens,NY,USA,https://queensmutualaid.example.org,\n"
    "Bushwick Mutual Aid,Brooklyn,NY,USA,,https://www.facebook.com/groups/bushwickma/\n"
    "Queens Mutual Aid Network,Queens,NY,USA,https://queensmutualaid.example.org/,\n"
    "Rose City Mutual Aid,Portland,OR,USA,https://rosecity.example.org,\n"
    "Salem Food Share,Salem,OR,USA,https://salemfood.example.org,\n"
)
SECOND_CSV = (
    "Resource,City,State/Territory,Country,General,Social Media\n"
    "Salem Food Share,Salem,OR,USA,https://salemfood.example.org,\n"
    "Bushwick Mutual Aid - Coronavirus,Brooklyn,NY,USA,,"
    "https://facebook.com/groups/bushwickma?ref=share\n"
    "Rose City Mutual Aid Network,Portland,OR,USA,http://www.rosecity.example.org/,\n"
    "Eugene Tenants Union,Eugene,OR,USA,https://eugenetenants.example.org,\n"
)


@pytest.fixture
def geocoder(places: object) -> Iterator[None]:
    reset_geocoder()
    yield
    reset_geocoder()


@pytest.fixture
def lists(tmp_path: Path) -> dict[str, Path]:
    first = tmp_path / "first.csv"
    first.write_text(FIRST_CSV)
    second = tmp_path / "second.csv"
    second.write_text(SECOND_CSV)
    return {"first": first, "second": second}
