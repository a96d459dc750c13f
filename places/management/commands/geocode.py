"""`commonweal geocode "TEXT"`, `commonweal geocode --reverse LAT,LNG`, or queries on stdin."""

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from places.geocoder import Geocoder, GeocodeResult, get_geocoder, not_found


class Command(BaseCommand):
    help = (
        "Find a place by name, ZIP code or coordinates and print it as JSON. With no text, "
        "read one query per line from standard input and write one JSON line per query."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("text", nargs="?", help='e.g. "Oakland, CA", "94612", "Österreich".')
        parser.add_argument(
            "--reverse",
            metavar="LAT,LNG",
            help="Find the locality nearest to these coordinates, e.g. 37.80,-122.27.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        text, reverse = options["text"], options["reverse"]
        if text is not None and reverse is not None:
            raise CommandError("Give either TEXT or --reverse, not both.")
        geocoder = get_geocoder()
        if reverse is not None:
            lat, lng = _coordinates(reverse)
            result = geocoder.reverse(lat, lng, query=reverse)
            self._print(
                _as_dict(reverse, result, "No locality within reach of these coordinates."),
                pretty=True,
            )
            if result is None:
                sys.exit(1)
            return
        if text is not None:
            result = geocoder.geocode(text)
            self._print(_as_dict(text, result), pretty=True)
            if result is None:
                sys.exit(1)
            return
        self._stream(geocoder)

    def _stream(self, geocoder: Geocoder) -> None:
        for line in sys.stdin:
            query = line.strip()
            if not query:
                continue
            try:
                answer = _as_dict(query, geocoder.geocode(query))
            except ValueError as exc:
                answer = not_found(query, str(exc))
            self._print(answer, pretty=False)

    def _print(self, data: dict[str, Any], *, pretty: bool) -> None:
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2 if pretty else None))


def _as_dict(query: str, result: GeocodeResult | None, reason: str = "") -> dict[str, Any]:
    if result is None:
        return not_found(query, reason) if reason else not_found(query)
    return result.to_dict()


def _coordinates(text: str) -> tuple[float, float]:
    parts = text.replace(" ", "").split(",")
    try:
        lat, lng = (float(p) for p in parts)
    except ValueError:
        raise CommandError(
            f"--reverse: expected LAT,LNG such as 37.80,-122.27, got {text!r}."
        ) from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise CommandError("--reverse: latitude must be within ±90 and longitude within ±180.")
    return lat, lng
