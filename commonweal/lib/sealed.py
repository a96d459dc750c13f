"""A passphrase-sealed stream: scrypt derives the key, AES-GCM seals the data in chunks.

Django-free, so the format can be read and tested on its own. The layout is

    header  = MAGIC | scrypt n, r, p (3 x uint32) | salt (16 bytes)
    check   = one sealed chunk holding CHECK, so a wrong passphrase is known before any data
    chunks  = (uint32 length | flag byte | AES-GCM ciphertext)*, the last with flag FINAL

Every chunk's associated data is the header, the chunk's index and its flag, so a chunk that is
changed, moved, dropped, or a stream cut short after any chunk, fails to open: a reader raises
`Damaged` rather than hand out data it cannot vouch for. The key is fresh for every stream
(random salt), so a counter is a safe nonce.
"""

import io
import os
import struct
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"COMMONWEAL-SEALED-1\n"
CHECK = b"commonweal passphrase check"
CHUNK = 1024 * 1024
# scrypt's cost: about a tenth of a second and 32 MB per try, so guessing is slow.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
_MORE, _FINAL = 0, 1
_FRAME = struct.Struct(">IB")
_HEADER = struct.Struct(">III16s")
# A chunk is at most CHUNK bytes plus the 16-byte tag; a longer length means a damaged file
# (and must not make the reader allocate gigabytes).
_MAX_SEALED = CHUNK + 16


class WrongPassphrase(ValueError):
    """The passphrase does not open this stream (or its header was changed)."""


class Damaged(ValueError):
    """The stream was changed, cut short or is not a sealed stream at all."""


def _key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def _aad(header: bytes, index: int, flag: int) -> bytes:
    return header + struct.pack(">QB", index, flag)


def _nonce(index: int) -> bytes:
    return index.to_bytes(12, "big")


class SealedWriter(io.RawIOBase):
    """A write-only file object: what is written to it reaches `out` sealed. `close()` writes
    the final chunk; a stream never closed reads as cut short."""

    def __init__(self, out: IO[bytes], passphrase: str) -> None:
        super().__init__()
        salt = os.urandom(16)
        self._out = out
        self._header = MAGIC + _HEADER.pack(SCRYPT_N, SCRYPT_R, SCRYPT_P, salt)
        self._aead = AESGCM(_key(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P))
        self._index = 0
        self._buffer = bytearray()
        out.write(self._header)
        self._seal(CHECK, _MORE)

    def writable(self) -> bool:
        return True

    def _seal(self, data: bytes, flag: int) -> None:
        sealed = self._aead.encrypt(
            _nonce(self._index), data, _aad(self._header, self._index, flag)
        )
        self._out.write(_FRAME.pack(len(sealed), flag) + sealed)
        self._index += 1

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._buffer += data
        while len(self._buffer) >= CHUNK:
            self._seal(bytes(self._buffer[:CHUNK]), _MORE)
            del self._buffer[:CHUNK]
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._seal(bytes(self._buffer), _FINAL)
            self._buffer.clear()
            self._out.flush()
        super().close()


class SealedReader(io.RawIOBase):
    """A read-only file object over a sealed stream. Opening it checks the passphrase
    (`WrongPassphrase`); reading raises `Damaged` at the first chunk that fails."""

    def __init__(self, source: IO[bytes], passphrase: str) -> None:
        super().__init__()
        self._in = source
        magic = source.read(len(MAGIC))
        if magic != MAGIC:
            raise Damaged("This is not a Commonweal backup.")
        fields = source.read(_HEADER.size)
        if len(fields) != _HEADER.size:
            raise Damaged("The backup is cut short.")
        n, r, p, salt = _HEADER.unpack(fields)
        # A forged header must not make us spend unbounded memory deriving the key.
        if n > 2**20 or r > 32 or p > 16:
            raise Damaged("The backup's header is not one this hub writes.")
        self._header = magic + fields
        self._aead = AESGCM(_key(passphrase, salt, n, r, p))
        self._index = 0
        self._done = False
        self._pending = b""
        self._offset = 0
        try:
            check = self._open()
        except Damaged as error:
            raise WrongPassphrase("The passphrase does not open this backup.") from error
        if check != CHECK:
            raise WrongPassphrase("The passphrase does not open this backup.")

    def readable(self) -> bool:
        return True

    def _open(self) -> bytes:
        frame = self._in.read(_FRAME.size)
        if len(frame) != _FRAME.size:
            raise Damaged("The backup is cut short.")
        length, flag = _FRAME.unpack(frame)
        if length > _MAX_SEALED or flag not in (_MORE, _FINAL):
            raise Damaged("The backup is damaged.")
        sealed = self._in.read(length)
        if len(sealed) != length:
            raise Damaged("The backup is cut short.")
        try:
            data = self._aead.decrypt(
                _nonce(self._index), sealed, _aad(self._header, self._index, flag)
            )
        except InvalidTag as error:
            raise Damaged("The backup is damaged or was changed.") from error
        self._index += 1
        if flag == _FINAL:
            self._done = True
            if self._in.read(1):
                raise Damaged("The backup has data after its end.")
        return data

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        while self._offset >= len(self._pending) and not self._done:
            self._pending, self._offset = self._open(), 0
        count = min(len(target), len(self._pending) - self._offset)
        target[:count] = self._pending[self._offset : self._offset + count]
        self._offset += count
        return count
