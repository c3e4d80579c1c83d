"""The blocking subscription: an iterator of changes that survives reconnects and ``lagged``."""

from __future__ import annotations

import socket as socket_module
import time
from collections import deque
from typing import TYPE_CHECKING

from .errors import Mps3ConnectionError
from .protocol import Codec, LineSplitter, Notification, Step, SubscriptionState
from .reconnect import Backoff
from .types import Change

if TYPE_CHECKING:
    from collections.abc import Iterator


class Subscription:
    """The changes of a subscribed key or prefix, as an iterator (``for change in sub``).

    **The guarantee.** Every change after :attr:`seq` (or after the ``since`` it was opened
    with) is delivered exactly once, in increasing ``seq`` order, for as long as the iterator
    is used: when the connection drops (mps3d restarts) it reconnects and subscribes again with
    ``since`` = :attr:`last_seq`, and when mps3d ends the subscription with ``lagged`` (the
    consumer fell behind) it does the same; mps3d replays what was missed from its change log.
    Only when that log no longer reaches back far enough does the iterator raise
    :class:`~mps3d.ChangesMissedError` instead of skipping anything. When mps3d cannot be
    reached again within ``reconnect_timeout`` seconds it raises
    :class:`~mps3d.Mps3ConnectionError`. Persist :attr:`last_seq` and pass it as ``since`` to
    resume in a later process.

    The subscription holds a connection of its own; :meth:`close` (or the ``with`` block) ends
    it.
    """

    def __init__(self, path: str, *, key: str | None, prefix: str | None, since: int | None,
                 store: str | None, timeout: float | None,
                 reconnect_timeout: float | None) -> None:
        self.path = path
        self._state = SubscriptionState(key, prefix, since, store)
        self._timeout = timeout
        self._reconnect_timeout = reconnect_timeout
        self._sock: socket_module.socket | None = None
        self._splitter = LineSplitter()
        self._codec = Codec()
        self._subscribe_id: int | None = None
        self._ready: deque[Change] = deque()
        self._closed = False
        self._open(first=True)
        #: The store's seq when the subscription started (changes after it are delivered).
        self.seq: int = self._state.started_at

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

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Ends the subscription (closes its connection); iteration stops."""
        self._closed = True
        self._drop()

    def __iter__(self) -> Iterator[Change]:
        return self

    def __next__(self) -> Change:
        change = self.poll(None)
        if change is None:
            raise StopIteration
        return change

    def poll(self, timeout: float | None) -> Change | None:
        """The next change, waiting at most ``timeout`` seconds (``None``: until one comes);
        ``None`` when none came in time or the subscription was closed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._ready:
            if self._closed:
                return None
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return None
            try:
                self._read_once(left)
            except Mps3ConnectionError:
                if self._closed:
                    return None
                self._open(first=False)
        return self._ready.popleft()

    def _open(self, first: bool) -> None:
        """Connects and subscribes (with ``since`` after the first time), retrying with backoff
        while mps3d is unreachable; returns once the subscribe is answered."""
        backoff = Backoff(self._reconnect_timeout)
        while True:
            try:
                self._connect_and_subscribe()
                deadline = None if self._timeout is None else time.monotonic() + self._timeout
                while self._subscribe_id is not None:
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        raise Mps3ConnectionError(
                            f"no answer to subscribe from mps3d within {self._timeout:g} s")
                    self._read_once(left)
                return
            except Mps3ConnectionError:
                self._drop()
                if first:
                    raise  # the caller learns at once that mps3d is not there
                delay = backoff.next_delay()
                if delay is None:
                    raise
                time.sleep(delay)
            except BaseException:
                self._drop()  # refused (ChangesMissedError, bad params): nothing to keep open
                raise

    def _connect_and_subscribe(self) -> None:
        sock = socket_module.socket(socket_module.AF_UNIX, socket_module.SOCK_STREAM)
        try:
            sock.settimeout(self._timeout)
            sock.connect(self.path)
        except OSError as e:
            sock.close()
            raise Mps3ConnectionError(
                f"cannot connect to mps3d at {self.path}: {e.strerror or e}") from e
        self._sock = sock
        self._splitter = LineSplitter()
        self._codec = Codec()
        self._send_subscribe(self._state.subscribe_params())

    def _send_subscribe(self, params: dict[str, object]) -> None:
        assert self._sock is not None
        self._subscribe_id, line = self._codec.request("subscribe", params)
        try:
            self._sock.sendall(line)
        except OSError as e:
            raise Mps3ConnectionError(f"lost the connection to mps3d: {e.strerror or e}") from e

    def _drop(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._subscribe_id = None

    def _read_once(self, timeout: float | None) -> None:
        """Reads what arrives within ``timeout`` and handles it. Raises
        :class:`Mps3ConnectionError` (the socket dropped) when the connection is gone."""
        if self._sock is None:
            raise Mps3ConnectionError("not connected to mps3d")
        try:
            self._sock.settimeout(timeout)
            data = self._sock.recv(1 << 16)
        except TimeoutError:
            return
        except OSError:
            data = b""
        if not data:
            self._drop()
            raise Mps3ConnectionError(f"mps3d closed the connection ({self.path})")
        for raw in self._splitter.feed(data):
            for message in Codec.parse(raw):
                if isinstance(message, Notification):
                    self._apply(self._state.on_notification(message))
                elif message.id == self._subscribe_id:
                    self._subscribe_id = None
                    self._apply(self._state.on_response(message))
                elif message.id is None and message.error is not None:
                    raise message.error

    def _apply(self, step: Step) -> None:
        self._ready.extend(step.changes)
        if step.resubscribe is not None:
            self._send_subscribe(step.resubscribe)
