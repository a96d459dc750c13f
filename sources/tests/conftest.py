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


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Uploads and progress files go to a scratch folder, not the hub's var/."""
    settings.VAR_DIR = tmp_path / "var"
    return settings.VAR_DIR
