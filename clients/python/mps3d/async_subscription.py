"""The asyncio subscription: an async iterator of changes that survives reconnects and
``lagged``."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from .async_socket import READ_SIZE, open_unix
from .errors import Mps3ConnectionError
from .protocol import Codec, LineSplitter, Notification, Step, SubscriptionState
from .reconnect import Backoff
from .types import Change


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
            data = await self._reader.read(READ_SIZE)
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
