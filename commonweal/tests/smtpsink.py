"""A real SMTP server for tests (aiosmtpd on 127.0.0.1), and a port where nothing listens."""

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Sink:
    host: str
    port: int
    messages: list[Message] = field(default_factory=list)
    refuse_with: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def received(self) -> list[Message]:
        with self.lock:
            return list(self.messages)

    def to(self) -> list[str]:
        with self.lock:
            return [m["To"] for m in self.messages]


class _Handler:
    def __init__(self, sink: Sink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.sink.refuse_with:
            return self.sink.refuse_with
        with self.sink.lock:
            self.sink.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_sink(port: int | None = None) -> Iterator[Sink]:
    sink = Sink(host="127.0.0.1", port=port or free_port())
    controller = Controller(_Handler(sink), hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def relay_to(port: int) -> dict[str, Any]:
    """MAILERS for a hub whose outbox hands mail to an SMTP server at 127.0.0.1:port."""
    return {
        "default": {"BACKEND": "outbox.backends.OutboxBackend"},
        "relay": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        },
    }


HOLD = {"default": {"BACKEND": "outbox.backends.OutboxBackend"}}
