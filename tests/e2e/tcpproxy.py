"""A TCP proxy for chaos tests: sits between the gateway and PostgreSQL or Redis and can cut.

`cut()` drops every open connection and refuses new ones (accepted, then closed at once) until
`restore()`, which is what a network partition or a restarting server looks like from the
gateway's side, without touching the machine's shared servers.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass, field

from tests.e2e.harness import free_port


@dataclass
class TcpProxy:
    target_host: str
    target_port: int
    port: int = field(default_factory=free_port)
    connections: int = 0
    refused: int = 0
    _loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)
    _cut: bool = False
    _server: asyncio.AbstractServer | None = None
    _thread: threading.Thread | None = None

    def start(self) -> TcpProxy:
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._accept, "127.0.0.1", self.port)
            )
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name=f"tcpproxy-{self.port}", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    async def _accept(
        self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter
    ) -> None:
        if self._cut:
            self.refused += 1
            client.close()
            return
        try:
            server_reader, server = await asyncio.open_connection(
                self.target_host, self.target_port
            )
        except OSError:
            client.close()
            return
        self.connections += 1
        self._writers.update({client, server})
        await asyncio.gather(self._pipe(client_reader, server), self._pipe(server_reader, client))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    def cut(self) -> None:
        """Drop every connection now and refuse new ones until `restore()`."""

        def drop() -> None:
            self._cut = True
            for writer in list(self._writers):
                transport = writer.transport
                transport.abort()
            self._writers.clear()

        self._loop.call_soon_threadsafe(drop)

    def restore(self) -> None:
        self._loop.call_soon_threadsafe(setattr, self, "_cut", False)

    def stop(self) -> None:
        def close() -> None:
            self.cut()
            if self._server is not None:
                self._server.close()
            self._loop.stop()

        self._loop.call_soon_threadsafe(close)
        if self._thread is not None:
            self._thread.join(timeout=10)
