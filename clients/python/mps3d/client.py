"""The blocking client: one Unix socket, one request at a time (thread-safe)."""

from __future__ import annotations

import os
import socket as socket_module
import threading
import time
import weakref
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TypeVar

from . import calls
from .errors import Mps3ConnectionError
from .protocol import Codec, LineSplitter, Notification, Response
from .socket_path import resolve_socket_path
from .subscription import Subscription
from .types import AwaitMode, Delete, FlushMode, Page, Put, Status

T = TypeVar("T")

#: How long past the daemon's own deadline (``flush``, ``await="remote"``) a client waits for
#: the daemon's timeout answer before giving up by itself, as mps3ctl does.
DEADLINE_MARGIN_S = 5.0


def answer_wait(call: calls.Call[Any], timeout: float | None) -> float | None:
    """How long to wait for the answer to ``call``: ``timeout``, or the daemon's deadline plus a
    margin when the method has one and it is longer."""
    if timeout is None or call.deadline_ms is None:
        return timeout
    return max(timeout, call.deadline_ms / 1000 + DEADLINE_MARGIN_S)


def connect_unix(path: str, timeout: float | None) -> socket_module.socket:
    """A connected Unix stream socket, or :class:`Mps3ConnectionError` naming the path."""
    sock = socket_module.socket(socket_module.AF_UNIX, socket_module.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
    except OSError as e:
        sock.close()
        raise Mps3ConnectionError(
            f"cannot connect to mps3d at {path}: {e.strerror or e} (is mps3d running?)"
        ) from e
    return sock


class Client:
    """A blocking connection to mps3d.

    The socket is found as ``mps3ctl`` finds it (:func:`~mps3d.resolve_socket_path`). The
    connection is opened on first use and reopened when it was closed (a daemon restart): a
    request that mps3d cannot have read is sent again on a new connection; a call whose
    connection dropped while it waited for the answer raises :class:`Mps3ConnectionError`,
    and a write that did so may or may not have been committed (read it back).

    Args:
        socket: mps3d's socket path (default: the lookup).
        system: use the system daemon's socket (``/run/mps3/mps3d.sock``) in the lookup.
        store: the store every call uses unless it names one (default: mps3d's first store).
        timeout: seconds to wait for an answer (``None``: forever); ``flush`` and
            ``await="remote"`` writes wait for their own deadline plus 5 s when that is longer.

    Use it as a context manager, or call :meth:`close`.
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
        self._lock = threading.Lock()
        self._sock: socket_module.socket | None = None
        self._codec = Codec()
        self._splitter = LineSplitter()
        self._subscriptions: weakref.WeakSet[Subscription] = weakref.WeakSet()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Closes the connection (a later call opens a new one) and the subscriptions opened
        through this client."""
        with self._lock:
            self._drop()
        for subscription in list(self._subscriptions):
            subscription.close()

    def connect(self) -> None:
        """Opens the connection now (calls do it when needed)."""
        with self._lock:
            self._ensure_connected()

    def _ensure_connected(self) -> socket_module.socket:
        if self._sock is None:
            self._sock = connect_unix(self.path, self.timeout)
            self._codec = Codec()
            self._splitter = LineSplitter()
        return self._sock

    def _drop(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _store(self, store: str | None) -> str | None:
        return self.store if store is None else store

    def request(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """Sends any method with ``params`` and returns its raw result (for methods this
        client has no wrapper for)."""
        return self._call(calls.Call(method, params or {}, lambda result: result))

    def _send(self, method: str, params: dict[str, Any]) -> tuple[socket_module.socket, int]:
        """Sends a request; when the connection turns out to be closed by mps3d (a restart
        since the last call), on a new connection: mps3d cannot have read a line written after
        it closed, so sending it again is safe."""
        for attempt in (1, 2):
            sock = self._ensure_connected()
            request_id, line = self._codec.request(method, params)
            try:
                sock.sendall(line)
                return sock, request_id
            except (BrokenPipeError, ConnectionResetError) as e:
                self._drop()
                if attempt == 2:
                    raise Mps3ConnectionError(f"lost the connection to mps3d at {self.path}: "
                                              f"{e.strerror or e}") from e
        raise AssertionError("unreachable")

    def _call(self, call: calls.Call[T]) -> T:
        with self._lock:
            sock, request_id = self._send(call.method, call.params)
            wait = answer_wait(call, self.timeout)
            deadline = None if wait is None else time.monotonic() + wait
            try:
                response = self._await_response(sock, request_id, deadline, wait)
            except OSError as e:
                self._drop()
                raise Mps3ConnectionError(f"lost the connection to mps3d at {self.path}: "
                                          f"{e.strerror or e}") from e
            if response.error is not None:
                raise response.error
            return call.decode(response.result)

    def _await_response(self, sock: socket_module.socket, request_id: int,
                        deadline: float | None, wait: float | None) -> Response:
        while True:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Mps3ConnectionError(f"no answer from mps3d within {wait:g} s")
                sock.settimeout(left)
            try:
                data = sock.recv(1 << 16)
            except TimeoutError:
                continue  # the deadline check above decides
            if not data:
                self._drop()
                raise Mps3ConnectionError(f"mps3d closed the connection ({self.path})")
            for raw in self._splitter.feed(data):
                for message in Codec.parse(raw):
                    if isinstance(message, Notification):
                        continue  # subscriptions have connections of their own
                    if message.id == request_id:
                        return message
                    if message.id is None and message.error is not None:
                        # About this connection (forbidden, too many connections).
                        raise message.error

    # -- writes ---------------------------------------------------------------------------

    def put(self, key: str, value: Any, *, await_: AwaitMode | None = None,
            timeout_ms: int | None = None, store: str | None = None) -> int:
        """Writes ``value`` (any JSON value, ``None`` is ``null``) at ``key``; returns the
        write's seq.

        Args:
            await_: ``"local"`` (default: answered once committed in the local replica) or
                ``"remote"`` (once this write and every earlier one is in the bucket).
            timeout_ms: mps3d's deadline for ``await_="remote"`` (default 30,000); past it,
                :class:`~mps3d.OperationTimeoutError`, and the write stays queued.
            store: the store (default: the client's).
        """
        return self._call(calls.put(key, value, await_, timeout_ms, self._store(store)))

    def put_all(self, ops: Iterable[Put | Delete | Mapping[str, Any]], *,
                await_: AwaitMode | None = None, timeout_ms: int | None = None,
                store: str | None = None) -> int:
        """Applies ``ops`` (:class:`~mps3d.Put` and :class:`~mps3d.Delete`, or the protocol's
        ``{"key", "value"}`` / ``{"key", "delete": True}`` dicts) in order, atomically; returns
        the seq of the last change. ``await_``, ``timeout_ms`` as for :meth:`put`."""
        return self._call(calls.put_all(ops, await_, timeout_ms, self._store(store)))

    def delete(self, key: str, *, await_: AwaitMode | None = None,
               timeout_ms: int | None = None, store: str | None = None) -> int:
        """Deletes ``key`` (deleting an absent key is a change too); returns the seq."""
        return self._call(calls.delete(key, await_, timeout_ms, self._store(store)))

    # -- reads ----------------------------------------------------------------------------

    def get(self, key: str, default: Any = None, *, store: str | None = None) -> Any:
        """The value of ``key``, or ``default`` when it is absent. A stored ``null`` is
        ``None``: pass a sentinel as ``default`` to tell the two apart."""
        return self._call(calls.get(key, default, self._store(store)))

    def get_all(self, keys: Iterable[str], *, store: str | None = None) -> dict[str, Any]:
        """The keys of ``keys`` that exist, with their values, read from one snapshot (absent
        keys are left out)."""
        return self._call(calls.get_all(keys, self._store(store)))

    def list(self, prefix: str = "", *, limit: int | None = None, cursor: str | None = None,
             store: str | None = None) -> Iterator[Page]:
        """The keys starting with ``prefix`` in key order, page after page (``limit`` keys a
        page, 1 to 1000, mps3d's default 100), following the protocol's cursor from
        ``cursor`` (default: the first page). Each page is one consistent read; pages read at
        different times are not one snapshot."""
        while True:
            page = self._call(calls.list_page(prefix, limit, cursor, self._store(store)))
            yield page
            if page.cursor is None:
                return
            cursor = page.cursor

    def items(self, prefix: str = "", *, store: str | None = None) -> Iterator[tuple[str, Any]]:
        """Every ``(key, value)`` starting with ``prefix``, in key order (:meth:`list`'s
        pages, flattened)."""
        for page in self.list(prefix, limit=1000, store=store):
            yield from page.entries

    # -- control --------------------------------------------------------------------------

    def status(self, *, store: str | None = None) -> Status:
        """The store's sync status (queued writes, last sync, last error, last seq...)."""
        return self._call(calls.status(self._store(store)))

    def flush(self, *, await_: FlushMode | None = None, timeout_ms: int | None = None,
              store: str | None = None) -> None:
        """Waits until every write accepted before is in the bucket (``await_="uploads"``, the
        default), or until the store has read the bucket to the end (``"initial"``). Raises
        :class:`~mps3d.OperationTimeoutError` when ``timeout_ms`` (default 30,000) passes."""
        self._call(calls.flush(await_, timeout_ms, self._store(store)))

    def set_online(self, online: bool, *, store: str | None = None) -> bool:
        """Stops (``False``) or resumes (``True``) the store's bucket traffic; reads and writes
        go on against the replica meanwhile."""
        return self._call(calls.set_online(online, self._store(store)))

    # -- subscriptions --------------------------------------------------------------------

    def subscribe(self, *, key: str | None = None, prefix: str | None = None,
                  since: int | None = None, store: str | None = None,
                  reconnect_timeout: float | None = 30.0) -> Subscription:
        """Subscribes to one ``key`` or every key starting with ``prefix`` (``""``: all).

        Returns once mps3d has answered: every change after :attr:`Subscription.seq` (or after
        ``since``, replayed first) is then delivered, once each, in seq order, even across a
        daemon restart or a ``lagged`` (see :class:`~mps3d.Subscription`). The subscription has
        a connection of its own.
        """
        subscription = Subscription(self.path, key=key, prefix=prefix, since=since,
                                    store=self._store(store), timeout=self.timeout,
                                    reconnect_timeout=reconnect_timeout)
        self._subscriptions.add(subscription)
        return subscription


