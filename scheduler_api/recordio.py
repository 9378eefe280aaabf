"""RecordIO framing of the SUBSCRIBE streams (``docs/recordio.md``).

A record is ``<decimal byte length>\\n<exactly that many bytes>``: no magic header, no
trailing newline, e.g. ``20\\n{"type":"HEARTBEAT"}``. Pure and incremental; the decoder
accepts input split at arbitrary points (HTTP chunk boundaries mean nothing).
"""

from __future__ import annotations

from typing import Final

__all__ = ["MAX_LENGTH_DIGITS", "RecordIODecoder", "RecordIOError", "frame"]

#: Longest accepted length prefix: 20 digits hold any unsigned 64-bit length (as in mesos-go).
MAX_LENGTH_DIGITS: Final = 20


class RecordIOError(ValueError):
    """Malformed RecordIO input; the decoder stays failed after raising it."""


def frame(record: bytes) -> bytes:
    """One RecordIO record: the decimal byte length, a newline, then ``record``."""
    return b"%d\n" % len(record) + bytes(record)


class RecordIODecoder:
    """Incremental RecordIO decoder.

    ``feed(data)`` returns the records completed by ``data`` (possibly none). Zero-length
    records are skipped (Mesos never sends them; mesos-go tolerates them). After an error every
    further ``feed`` raises again. Call :meth:`close` at end of stream to detect a truncated
    final record.
    """

    def __init__(self, max_record_size: int | None = None) -> None:
        self._buffer = bytearray()
        self._length: int | None = None  # payload length once the prefix has been read
        self._error: RecordIOError | None = None
        self._max_record_size = max_record_size

    @property
    def buffered(self) -> int:
        """Bytes received that do not yet form a complete record."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes]:
        if self._error is not None:
            raise self._error
        self._buffer += data
        records: list[bytes] = []
        try:
            while True:
                if self._length is None and not self._read_length():
                    break
                assert self._length is not None
                if len(self._buffer) < self._length:
                    break
                record = bytes(self._buffer[: self._length])
                del self._buffer[: self._length]
                self._length = None
                if record:
                    records.append(record)
        except RecordIOError as e:
            self._error = e
            raise
        return records

    def _read_length(self) -> bool:
        """Consume a complete ``<digits>\\n`` prefix; ``False`` if more input is needed."""
        newline = self._buffer.find(b"\n", 0, MAX_LENGTH_DIGITS + 1)
        prefix = self._buffer if newline < 0 else self._buffer[:newline]
        if not prefix.isdigit() and prefix:
            raise RecordIOError(f"Invalid record length prefix {bytes(prefix[:32])!r}")
        if newline < 0:
            if len(self._buffer) > MAX_LENGTH_DIGITS:
                raise RecordIOError(f"Record length prefix longer than {MAX_LENGTH_DIGITS} digits")
            return False
        if not prefix:
            raise RecordIOError("Empty record length prefix")
        length = int(prefix)
        if self._max_record_size is not None and length > self._max_record_size:
            raise RecordIOError(
                f"Record length {length} exceeds the maximum of {self._max_record_size}"
            )
        del self._buffer[: newline + 1]
        self._length = length
        return True

    def close(self) -> None:
        """Declare end of input; raises :class:`RecordIOError` if a record is incomplete."""
        if self._error is not None:
            raise self._error
        if self._buffer or self._length:
            self._error = RecordIOError("Stream ended inside a record")
            raise self._error
