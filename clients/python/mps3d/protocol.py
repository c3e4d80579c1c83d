"""The sans-io core both clients share: request lines, line framing, response matching.

Nothing here does I/O: :class:`Codec` turns calls into lines to send and the bytes received into
responses and notifications, and :class:`SubscriptionState` decides what a subscription does with
each message (deliver, skip, resubscribe). The blocking and asyncio clients only move the bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .errors import BadResponseError, ChangesMissedError, Mps3Error, error_from_response
from .types import Change


def compact(value: Any) -> str:
    """Compact JSON, as mps3d writes it (no raw newline can appear: the framing relies on it)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def params_of(store: str | None, **named: Any) -> dict[str, Any]:
    """Named parameters without the ones left out (``None``), ``store`` included when given."""
    params = {name: value for name, value in named.items() if value is not None}
    if store is not None:
        params["store"] = store
    return params


@dataclass
class Response:
    """A response to one of this connection's requests."""

    id: Any
    result: Any = None
    error: Mps3Error | None = None


@dataclass
class Notification:
    """A message from mps3d that answers no request (``changed``, ``lagged``)."""

    method: str
    params: dict[str, Any]


class LineSplitter:
    """Bytes in, complete lines out (``\\n``-terminated, a ``\\r`` before it dropped)."""

    def __init__(self) -> None:
        self._partial = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """The lines that ``data`` completes; the rest is kept for the next call."""
        self._partial += data
        if b"\n" not in data:
            return []
        *lines, rest = self._partial.split(b"\n")
        self._partial = bytearray(rest)
        return [line[:-1] if line.endswith(b"\r") else line for line in lines]


class Codec:
    """Request ids and the parsing of what the server sends, for one connection."""

    def __init__(self) -> None:
        self._next_id = 1

    def request(self, method: str, params: dict[str, Any] | None = None) -> tuple[int, bytes]:
        """The id and the line (with its ``\\n``) of a new request."""
        request_id = self._next_id
        self._next_id += 1
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params:
            message["params"] = params
        return request_id, (compact(message) + "\n").encode("utf-8")

    @staticmethod
    def parse(line: bytes) -> list[Response | Notification]:
        """The messages in one line from the server (a batch response holds several; a blank
        line none). Raises :class:`BadResponseError` for anything that is not JSON-RPC 2.0."""
        if not line.strip(b" \t\r"):
            return []
        try:
            message = json.loads(line)
        except ValueError as e:
            raise BadResponseError(f"mps3d sent a line that is not JSON: {e}") from None
        items = message if isinstance(message, list) else [message]
        return [Codec._one(item) for item in items]

    @staticmethod
    def _one(message: Any) -> Response | Notification:
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
            raise BadResponseError(f"mps3d sent something that is not JSON-RPC 2.0: {message!r}")
        if "method" in message:
            params = message.get("params", {})
            if not isinstance(message["method"], str) or not isinstance(params, dict):
                raise BadResponseError(f"mps3d sent a malformed notification: {message!r}")
            return Notification(message["method"], params)
        if "error" in message:
            return Response(message.get("id"), error=error_from_response(message["error"]))
        if "result" in message:
            return Response(message.get("id"), result=message["result"])
        raise BadResponseError(f"mps3d sent a response with no result or error: {message!r}")


def change_from(params: dict[str, Any]) -> Change:
    """A :class:`Change` from a ``changed`` notification's params."""
    deleted = params.get("deleted") is True
    return Change(
        key=params["key"],
        value=None if deleted else params.get("value"),
        deleted=deleted,
        seq=params["seq"],
        origin=params.get("origin", ""),
        version=params.get("version", ""),
    )


@dataclass
class Step:
    """What a subscription does after a message: changes to deliver, a subscribe to send."""

    changes: list[Change] = field(default_factory=list)
    resubscribe: dict[str, Any] | None = None


class SubscriptionState:
    """One logical subscription across connections, lagged notifications and resubscriptions.

    ``last_seq`` is the seq of the last change delivered (or the store's seq when the first
    subscription started). Every subscribe after the first asks for ``since=last_seq``, and a
    change at or below ``last_seq`` is never delivered twice, so the consumer sees each change
    once, in seq order, across reconnects and ``lagged``.
    """

    def __init__(self, key: str | None, prefix: str | None, since: int | None,
                 store: str | None) -> None:
        if (key is None) == (prefix is None):
            raise ValueError("give exactly one of key and prefix")
        self._key = key
        self._prefix = prefix
        self._store = store
        self.last_seq: int | None = since
        self.subscription: int | None = None  # the id on the current connection
        self.started_at = 0  # the store's seq in the first subscribe's answer
        self.lagged = 0  # how many times mps3d ended the subscription with `lagged`
        self.resubscribes = 0  # subscribes after the first (reconnects and lagged)
        self._subscribing = False
        self._resume_after_answer = False
        self._started = False

    def subscribe_params(self) -> dict[str, Any]:
        """The params of the next ``subscribe`` (with ``since`` once there is a seq to resume
        after); call for the first subscription and after every reconnect."""
        if self._started:
            self.resubscribes += 1
        self._started = True
        self._subscribing = True
        self.subscription = None
        return params_of(self._store, key=self._key, prefix=self._prefix, since=self.last_seq)

    def on_response(self, response: Response) -> Step:
        """The answer to the subscribe. Raises its error, or :class:`ChangesMissedError` when
        mps3d cannot replay everything after ``last_seq``."""
        if response.error is not None:
            raise response.error
        result = response.result
        if not isinstance(result, dict) or not isinstance(result.get("subscription"), int) or \
                not isinstance(result.get("seq"), int):
            raise BadResponseError(f"mps3d answered subscribe with {result!r}")
        asked_since = self.last_seq
        if self.resubscribes == 0:
            self.started_at = result["seq"]
        self._subscribing = False
        self.subscription = result["subscription"]
        if self.last_seq is None:
            self.last_seq = result["seq"]
        if result.get("complete") is False:
            raise ChangesMissedError(asked_since if asked_since is not None else 0)
        if self._resume_after_answer:
            self._resume_after_answer = False
            return Step(resubscribe=self.subscribe_params())
        return Step()

    def on_notification(self, notification: Notification) -> Step:
        """A ``changed`` to deliver (unless already delivered) or a ``lagged`` to recover from."""
        params = notification.params
        sender = params.get("subscription")
        # While a subscribe is unanswered its id is unknown: its replay may come first.
        if not self._subscribing and self.subscription is not None and \
                sender != self.subscription:
            return Step()
        if notification.method == "changed":
            seq = params.get("seq")
            if not isinstance(seq, int) or not isinstance(params.get("key"), str):
                raise BadResponseError(f"mps3d sent a malformed change: {params!r}")
            if self.last_seq is not None and seq <= self.last_seq:
                return Step()
            self.last_seq = seq
            return Step(changes=[change_from(params)])
        if notification.method == "lagged":
            self.lagged += 1
            last = params.get("lastSeq")
            if isinstance(last, int) and (self.last_seq is None or last < self.last_seq):
                self.last_seq = last
            if self._subscribing:
                self._resume_after_answer = True
                return Step()
            return Step(resubscribe=self.subscribe_params())
        return Step()  # a notification this version does not know
