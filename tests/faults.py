"""Faults the tests cause for real: a TCP proxy that can go silent or refuse, and a small
filesystem that fills up.

`FaultyProxy` sits between Frontdesk and PostgreSQL. `forward` relays bytes both ways;
`blackhole` keeps every connection (new ones are accepted) but relays nothing and answers
nothing, as a network that drops packets does; `refuse` closes the listening socket and
every connection, so connecting is refused at once, as when the server is down.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import unavailable

FORWARD, BLACKHOLE, REFUSE = "forward", "blackhole", "refuse"


class FaultyProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.mode = FORWARD
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._pairs: list[tuple[socket.socket, socket.socket | None]] = []
        self._selector = selectors.DefaultSelector()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="faulty-proxy", daemon=True)
        self.port = self._listen(0)
        self._thread.start()

    # -- the test's controls ---------------------------------------------------------------

    def set_mode(self, mode: str) -> None:
        with self._lock:
            self.mode = mode
            if mode == REFUSE:
                self._close_all()
            elif self._listener is None:
                self._listen(self.port)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        with self._lock:
            self._close_all()
        self._selector.close()

    # -- inside ----------------------------------------------------------------------------

    def _listen(self, port: int) -> int:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(128)
        listener.setblocking(False)
        self._listener = listener
        self._selector.register(listener, selectors.EVENT_READ, None)
        return int(listener.getsockname()[1])

    def _close_all(self) -> None:
        if self._listener is not None:
            self._forget(self._listener)
            self._listener = None
        for client, server in self._pairs:
            for sock in (client, server):
                if sock is not None:
                    self._forget(sock)
        self._pairs.clear()

    def _forget(self, sock: socket.socket) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(sock)
        with contextlib.suppress(OSError):
            sock.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            events = self._selector.select(timeout=0.05) if self._selector.get_map() else []
            if not events:
                self._stop.wait(0.01)
            for key, _mask in events:
                with self._lock:
                    self._handle(key)

    def _handle(self, key: selectors.SelectorKey) -> None:
        sock = key.fileobj
        assert isinstance(sock, socket.socket)
        if sock is self._listener:
            self._accept()
            return
        if self.mode == BLACKHOLE:
            return  # nothing is read, so nothing is relayed or answered
        peer = key.data
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if not data or peer is None:
            self._drop(sock)
            return
        try:
            peer.sendall(data)
        except OSError:
            self._drop(sock)

    def _accept(self) -> None:
        assert self._listener is not None
        try:
            client, _address = self._listener.accept()
        except BlockingIOError:
            return
        server: socket.socket | None = None
        if self.mode == FORWARD:
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                return
            server.setblocking(True)
            self._selector.register(server, selectors.EVENT_READ, client)
        client.setblocking(True)
        self._selector.register(client, selectors.EVENT_READ, server)
        self._pairs.append((client, server))

    def _drop(self, sock: socket.socket) -> None:
        for pair in list(self._pairs):
            if sock in pair:
                for each in pair:
                    if each is not None:
                        self._forget(each)
                self._pairs.remove(pair)


@contextlib.contextmanager
def small_filesystem(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `path` for the test (root only); unmounted after."""
    if os.geteuid() != 0:
        unavailable("mounting a small tmpfs to fill needs root")
    with _tmpfs(path, f"size={size},mode=0755"):
        yield path


@contextlib.contextmanager
def read_only_directory(path: Path) -> Iterator[Path]:
    """A directory no one can write, root included: a read-only tmpfs (root only)."""
    if os.geteuid() != 0:
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0o500)  # enough for anyone but root
        try:
            yield path
        finally:
            path.chmod(0o700)
        return
    with _tmpfs(path, "size=1m,ro"):
        yield path


@contextlib.contextmanager
def _tmpfs(path: Path, options: str) -> Iterator[None]:
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        unavailable(f"cannot mount a tmpfs ({options}) here: {mounted.stderr.decode().strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(directory: Path) -> Path:
    """Fill the filesystem of `directory` to the last byte; the filler file (delete it to
    free the space)."""
    filler = directory / "filler"
    with filler.open("wb", buffering=0) as handle:
        for chunk in (1 << 20, 1 << 16, 4096, 512, 1):
            with contextlib.suppress(OSError):  # no space left for a chunk this size
                while handle.write(b"\0" * chunk):
                    pass
    return filler
