from collections.abc import Iterator

import pytest

from sources.signals import records_imported


@pytest.fixture(autouse=True)
def default_resolution() -> Iterator[None]:
    """These tests check the default path; other apps' receivers (the resolver) step aside."""
    saved = records_imported.receivers[:]
    records_imported.receivers = []
    records_imported.sender_receivers_cache.clear()
    yield
    records_imported.receivers = saved
    records_imported.sender_receivers_cache.clear()
