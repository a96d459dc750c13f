"""Numbers on the review queue are formatted for the reader (issue 10: "3216734 pairs")."""

from django.template.loader import render_to_string
from django.test import RequestFactory


def test_it_formats_the_count_of_pairs(db) -> None:  # type: ignore[no-untyped-def]
    request = RequestFactory().get("/duplicates/")
    html = render_to_string(
        "resolution/queue.html",
        {"total": 3216734, "pairs": [], "statuses": [], "status": "open"},
        request=request,
    )
    assert "3,216,734 pairs" in html and "3216734" not in html
