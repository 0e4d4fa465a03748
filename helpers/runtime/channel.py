"""The pipe between the lab and an execution environment's process: pickled messages, either way.

Messages are plain data (tuples of a kind and a body), framed as multiprocessing frames them: a 4-byte
big-endian length (-1 and an 8-byte length for messages of 2 GiB or more), then the pickle. Where the
pipe is a file descriptor (POSIX), a message is written and read on it directly: one write, and one
read for the length and one for the pickle, without multiprocessing's layers of checks, which cost
more than the syscalls themselves when an invocation's every step runs with cold caches. Elsewhere
(Windows' pipe handles) the Connection does it.
"""
from __future__ import annotations

import os
import pickle
import struct
from typing import Any

_LENGTH = struct.Struct("!i")
_LONG_LENGTH = struct.Struct("!Q")
#: Messages up to this size go out in one write with their length (as multiprocessing sends them).
_ONE_WRITE_BYTES = 16384
_DIRECT = os.name == "posix"


class Channel:
    """One end of an environment's pipe (a multiprocessing Connection)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.fd: int = conn.fileno() if _DIRECT else -1

    def send(self, message: tuple[str, Any]) -> None:
        """Send one message (a plain-data tuple; the standard pickler does)."""
        data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
        if self.fd < 0 or len(data) > 0x7FFFFFFF:
            self.conn.send_bytes(data)
        elif len(data) <= _ONE_WRITE_BYTES:
            self._write(_LENGTH.pack(len(data)) + data)
        else:
            self._write(_LENGTH.pack(len(data)))
            self._write(data)

    def recv(self) -> Any:
        """The next message; EOFError (or OSError) once the other end has closed the pipe."""
        if self.fd < 0:
            return self.conn.recv()
        size = _LENGTH.unpack(self._read(4))[0]
        if size == -1:
            size = _LONG_LENGTH.unpack(self._read(8))[0]
        return pickle.loads(self._read(size))

    def close(self) -> None:
        self.conn.close()

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]

    def _read(self, size: int) -> bytes:
        data = os.read(self.fd, size)
        if len(data) == size:
            return data
        chunks, left = [data], size - len(data)
        while data and left:
            data = os.read(self.fd, left)
            chunks.append(data)
            left -= len(data)
        if left:
            raise EOFError if left == size else OSError("got end of file during message")
        return b"".join(chunks)
