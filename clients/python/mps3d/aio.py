"""The asyncio client: many requests in flight on one connection, subscriptions as async
iterators."""

from __future__ import annotations

import asyncio
import os
import weakref
from collections import deque
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any, TypeVar

from . import calls
from .client import answer_wait
from .errors import Mps3ConnectionError
from .protocol import Codec, LineSplitter, Notification, Step, SubscriptionState
from .reconnect import Backoff
from .socket_path import resolve_socket_path
from .types import AwaitMode, Change, Delete, FlushMode, Page, Put, Status

T = TypeVar("T")
_READ_SIZE = 1 << 16


async def open_unix(path: str, timeout: float | None
                    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection to mps3d, or :class:`Mps3ConnectionError` naming the path."""
    try:
        return await asyncio.wait_for(asyncio.open_unix_connection(path), timeout)
    except (OSError, asyncio.TimeoutError) as e:
        why = getattr(e, "strerror", None) or str(e) or "timed out"
        raise Mps3ConnectionError(
            f"cannot connect to mps3d at {path}: {why} (is mps3d running?)") from e


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
            while data := await reader.read(_READ_SIZE):
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


class AsyncSubscription:
    """The changes of a subscribed key or prefix, as an async iterator
    (``async for change in sub``), with the guarantee of :class:`mps3d.Subscription`: every
    change after :attr:`seq` (or ``since``) exactly once, in seq order, across daemon restarts
    and ``lagged``; :class:`~mps3d.ChangesMissedError` rather than a silent gap. It has a
    connection of its own, read only while the consumer waits for a change: a consumer that
    falls behind makes mps3d end the subscription with ``lagged``, which it then recovers
    from, and never holds up other calls."""

    def __init__(self, path: str, *, key: str | None, prefix: str | None, since: int | None,
                 store: str | None, timeout: float | None,
                 reconnect_timeout: float | None) -> None:
        self.path = path
        self._state = SubscriptionState(key, prefix, since, store)
        self._timeout = timeout
        self._reconnect_timeout = reconnect_timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._splitter = LineSplitter()
        self._codec = Codec()
        self._subscribe_id: int | None = None
        self._ready: deque[Change] = deque()
        self._closed = False

    @property
    def seq(self) -> int:
        """The store's seq when the subscription started (changes after it are delivered)."""
        return self._state.started_at

    @property
    def last_seq(self) -> int:
        """The seq of the last change delivered (:attr:`seq` before any)."""
        return self._state.last_seq or 0

    @property
    def lagged(self) -> int:
        """How many times mps3d ended the subscription with ``lagged`` (each one recovered)."""
        return self._state.lagged

    @property
    def resubscribes(self) -> int:
        """How many times it subscribed again (after a reconnect or a ``lagged``)."""
        return self._state.resubscribes

    async def __aenter__(self) -> AsyncSubscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Ends the subscription (closes its connection); iteration stops."""
        self._closed = True
        await self._drop()

    def __aiter__(self) -> AsyncSubscription:
        return self

    async def __anext__(self) -> Change:
        change = await self.next(None)
        if change is None:
            raise StopAsyncIteration
        return change

    async def next(self, timeout: float | None) -> Change | None:
        """The next change, waiting at most ``timeout`` seconds (``None``: until one comes);
        ``None`` when none came in time or the subscription was closed."""
        try:
            return await asyncio.wait_for(self._next_change(), timeout)
        except asyncio.TimeoutError:
            return None

    async def _next_change(self) -> Change | None:
        while not self._ready:
            if self._closed:
                return None
            try:
                await self._read_once()
            except Mps3ConnectionError:
                if self._closed:
                    return None
                await self._open(first=False)
        return self._ready.popleft()

    async def _open(self, first: bool) -> None:
        backoff = Backoff(self._reconnect_timeout)
        while True:
            try:
                self._reader, self._writer = await open_unix(self.path, self._timeout)
                self._splitter = LineSplitter()
                self._codec = Codec()
                await self._send_subscribe(self._state.subscribe_params())
                await asyncio.wait_for(self._until_answered(), self._timeout)
                return
            except (Mps3ConnectionError, asyncio.TimeoutError):
                await self._drop()
                if first:
                    raise
                delay = backoff.next_delay()
                if delay is None:
                    raise
                await asyncio.sleep(delay)
            except BaseException:
                await self._drop()  # refused (ChangesMissedError, bad params): nothing to keep
                raise

    async def _until_answered(self) -> None:
        while self._subscribe_id is not None:
            await self._read_once()

    async def _send_subscribe(self, params: dict[str, Any]) -> None:
        assert self._writer is not None
        self._subscribe_id, line = self._codec.request("subscribe", params)
        try:
            self._writer.write(line)
            await self._writer.drain()
        except (OSError, ConnectionError) as e:
            raise Mps3ConnectionError(f"lost the connection to mps3d: {e}") from e

    async def _drop(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        self._subscribe_id = None
        if writer is not None:
            writer.close()
            try:
                await writer.wait_closed()
            except (OSError, ConnectionError):
                pass

    async def _read_once(self) -> None:
        if self._reader is None:
            raise Mps3ConnectionError("not connected to mps3d")
        try:
            data = await self._reader.read(_READ_SIZE)
        except (OSError, ConnectionError):
            data = b""
        if not data:
            await self._drop()
            raise Mps3ConnectionError(f"mps3d closed the connection ({self.path})")
        for raw in self._splitter.feed(data):
            for message in Codec.parse(raw):
                if isinstance(message, Notification):
                    await self._apply(self._state.on_notification(message))
                elif message.id == self._subscribe_id:
                    self._subscribe_id = None
                    await self._apply(self._state.on_response(message))
                elif message.id is None and message.error is not None:
                    raise message.error

    async def _apply(self, step: Step) -> None:
        self._ready.extend(step.changes)
        if step.resubscribe is not None:
            await self._send_subscribe(step.resubscribe)
