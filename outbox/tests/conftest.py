from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from commonweal.tests.smtpsink import HOLD, Sink, free_port, relay_to, running_sink


@pytest.fixture
def outbox_dir(settings: Any, tmp_path: Path) -> Path:
    settings.OUTBOX_DIR = tmp_path / "outbox"
    return settings.OUTBOX_DIR


@pytest.fixture
def holding(settings: Any, outbox_dir: Path) -> None:
    """The embedded default: no mail server set up."""
    settings.MAILERS = HOLD


@pytest.fixture
def sink(settings: Any, outbox_dir: Path) -> Iterator[Sink]:
    """A mail server that takes mail, with the outbox relaying to it."""
    with running_sink() as server:
        settings.MAILERS = relay_to(server.port)
        yield server


@pytest.fixture
def dead_port(settings: Any, outbox_dir: Path) -> int:
    """A mail server set up at an address where nothing answers."""
    port = free_port()
    settings.MAILERS = relay_to(port)
    return port
