"""The asyncio client: many requests in flight on one connection."""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any, TypeVar

from . import calls
from .async_socket import READ_SIZE, open_unix
from .async_subscription import AsyncSubscription
from .client import answer_wait
from .errors import Mps3ConnectionError
from .protocol import Codec, LineSplitter, Notification
from .socket_path import resolve_socket_path
from .types import AwaitMode, Delete, FlushMode, Page, Put, Status

T = TypeVar("T")


def _forget(answer: asyncio.Future[Any]) -> None:
    """Drops a request's future without an "exception was never retrieved" warning."""
    if answer.done() and not answer.cancelled():
        answer.exception()
    else:
        answer.cancel()


class _Connection:
    """One connection: a reader task that hands each response to the request waiting for it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.codec = Codec()
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.closed = False
        self._task = asyncio.get_running_loop().create_task(self._read(reader))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        splitter = LineSplitter()
        failure: Exception = Mps3ConnectionError("mps3d closed the connection")
        try:
            while data := await reader.read(READ_SIZE):
                for raw in splitter.feed(data):
                    for message in Codec.parse(raw):
                        if isinstance(message, Notification):
                            continue  # subscriptions have connections of their own
                        waiter = self.pending.pop(message.id, None) \
                            if isinstance(message.id, int) else None
                        if waiter is not None and not waiter.done():
                            waiter.set_result(message)
                        elif message.id is None and message.error is not None:
                            failure = message.error  # about this connection: it ends
        except (OSError, asyncio.IncompleteReadError) as e:
            failure = Mps3ConnectionError(f"lost the connection to mps3d: {e}")
        except Exception as e:  # a bad line: this connection cannot be trusted any more
            failure = e
        finally:
            self.closed = True
            for waiter in self.pending.values():
                if not waiter.done():
                    waiter.set_exception(failure)
            self.pending.clear()
            self.writer.close()

    async def close(self) -> None:
        self.writer.close()
        self._task.cancel()
        try:
            await self._task
        except (asyncio.CancelledError, Exception):
            pass


class AsyncClient:
    """An asyncio connection to mps3d; calls may run concurrently (they are pipelined on one
    connection and matched by id).

    Arguments and reconnection as for :class:`~mps3d.Client`: the connection is opened on first
    use and reopened when mps3d closed it; a call whose connection drops while it waits for
    the answer raises :class:`~mps3d.Mps3ConnectionError`. Use ``async with``, or
    ``await client.aclose()``.
    """

    def __init__(
        self,
        socket: str | os.PathLike[str] | None = None,
        *,
        system: bool = False,
        store: str | None = None,
        timeout: float | None = 30.0,
    ) -> None:
        self.path = resolve_socket_path(socket, system=system)
        self.store = store
        self.timeout = timeout
        self._connection: _Connection | None = None
        self._connecting = asyncio.Lock()
        self._subscriptions: weakref.WeakSet[AsyncSubscription] = weakref.WeakSet()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Closes the connection (a later call opens a new one) and the subscriptions opened
        through this client."""
        if self._connection is not None:
            connection, self._connection = self._connection, None
            await connection.close()
        for subscription in list(self._subscriptions):
            await subscription.aclose()

    async def connect(self) -> None:
        """Opens the connection now (calls do it when needed)."""
        await self._ensure_connected()

    async def _ensure_connected(self) -> _Connection:
        async with self._connecting:
            if self._connection is None or self._connection.closed:
                reader, writer = await open_unix(self.path, self.timeout)
                self._connection = _Connection(reader, writer)
            return self._connection

    def _store(self, store: str | None) -> str | None:
        return self.store if store is None else store

    async def request(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """Sends any method with ``params`` and returns its raw result."""
        return await self._call(calls.Call(method, params or {}, lambda result: result))

    async def _send(self, method: str, params: dict[str, Any]
                    ) -> tuple[_Connection, int, asyncio.Future[Any]]:
        """Sends a request; when the connection turns out to be closed by mps3d (a restart
        since the last call), on a new connection: mps3d cannot have read a line written after
        it closed, so sending it again is safe."""
        for attempt in (1, 2):
            connection = await self._ensure_connected()
            request_id, line = connection.codec.request(method, params)
            answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            connection.pending[request_id] = answer
            try:
                if connection.closed:  # ended since: the reader will not answer
                    raise ConnectionResetError("mps3d closed the connection")
                connection.writer.write(line)
                await connection.writer.drain()
                return connection, request_id, answer
            except (OSError, ConnectionError) as e:
                connection.pending.pop(request_id, None)
                _forget(answer)
                if self._connection is connection:
                    self._connection = None
                    await connection.close()
                if attempt == 2:
                    raise Mps3ConnectionError(
                        f"lost the connection to mps3d at {self.path}: {e}") from e
        raise AssertionError("unreachable")

    async def _call(self, call: calls.Call[T]) -> T:
        connection, request_id, answer = await self._send(call.method, call.params)
        wait = answer_wait(call, self.timeout)
        try:
            response = await asyncio.wait_for(answer, wait)
        except asyncio.TimeoutError:
            raise Mps3ConnectionError(f"no answer from mps3d within {wait:g} s") from None
        finally:
            connection.pending.pop(request_id, None)
        if response.error is not None:
            raise response.error
        return call.decode(response.result)

    async def put(self, key: str, value: Any, *, await_: AwaitMode | None = None,
                  timeout_ms: int | None = None, store: str | None = None) -> int:
        """As :meth:`mps3d.Client.put`."""
        return await self._call(calls.put(key, value, await_, timeout_ms, self._store(store)))

    async def put_all(self, ops: Iterable[Put | Delete | Mapping[str, Any]], *,
                      await_: AwaitMode | None = None, timeout_ms: int | None = None,
                      store: str | None = None) -> int:
        """As :meth:`mps3d.Client.put_all`."""
        return await self._call(calls.put_all(ops, await_, timeout_ms, self._store(store)))

    async def delete(self, key: str, *, await_: AwaitMode | None = None,
                     timeout_ms: int | None = None, store: str | None = None) -> int:
        """As :meth:`mps3d.Client.delete`."""
        return await self._call(calls.delete(key, await_, timeout_ms, self._store(store)))

    async def get(self, key: str, default: Any = None, *, store: str | None = None) -> Any:
        """As :meth:`mps3d.Client.get`."""
        return await self._call(calls.get(key, default, self._store(store)))

    async def get_all(self, keys: Iterable[str], *,
                      store: str | None = None) -> dict[str, Any]:
        """As :meth:`mps3d.Client.get_all`."""
        return await self._call(calls.get_all(keys, self._store(store)))

    async def list(self, prefix: str = "", *, limit: int | None = None,
                   cursor: str | None = None, store: str | None = None) -> AsyncIterator[Page]:
        """As :meth:`mps3d.Client.list`: an async iterator over pages."""
        while True:
            page = await self._call(calls.list_page(prefix, limit, cursor, self._store(store)))
            yield page
            if page.cursor is None:
                return
            cursor = page.cursor

    async def items(self, prefix: str = "", *,
                    store: str | None = None) -> AsyncIterator[tuple[str, Any]]:
        """As :meth:`mps3d.Client.items`."""
        async for page in self.list(prefix, limit=1000, store=store):
            for entry in page.entries:
                yield entry

    async def status(self, *, store: str | None = None) -> Status:
        """As :meth:`mps3d.Client.status`."""
        return await self._call(calls.status(self._store(store)))

    async def flush(self, *, await_: FlushMode | None = None, timeout_ms: int | None = None,
                    store: str | None = None) -> None:
        """As :meth:`mps3d.Client.flush`."""
        await self._call(calls.flush(await_, timeout_ms, self._store(store)))

    async def set_online(self, online: bool, *, store: str | None = None) -> bool:
        """As :meth:`mps3d.Client.set_online`."""
        return await self._call(calls.set_online(online, self._store(store)))

    async def subscribe(self, *, key: str | None = None, prefix: str | None = None,
                        since: int | None = None, store: str | None = None,
                        reconnect_timeout: float | None = 30.0) -> AsyncSubscription:
        """As :meth:`mps3d.Client.subscribe`: returns once mps3d has answered, an
        :class:`AsyncSubscription` to iterate with ``async for``."""
        subscription = AsyncSubscription(self.path, key=key, prefix=prefix, since=since,
                                         store=self._store(store), timeout=self.timeout,
                                         reconnect_timeout=reconnect_timeout)
        await subscription._open(first=True)
        self._subscriptions.add(subscription)
        return subscription
