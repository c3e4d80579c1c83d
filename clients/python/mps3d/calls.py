"""Each method of the protocol as a :class:`Call`: its params and how to read its result.

Shared by :class:`~mps3d.Client` and :class:`~mps3d.AsyncClient`, which only send the call and
decode the answer with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .errors import BadResponseError
from .protocol import params_of
from .types import AwaitMode, Delete, FlushMode, Page, Put, Status

T = TypeVar("T")

#: What mps3d waits for by default in ``flush`` and ``await="remote"`` writes (30 s).
DAEMON_DEFAULT_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request: ``method`` and ``params``, ``decode`` for its result, and ``deadline_ms``,
    the daemon's own deadline when the method waits for something (the client waits that long
    for the answer, plus a margin)."""

    method: str
    params: dict[str, Any]
    decode: Callable[[Any], T]
    deadline_ms: int | None = None


def _member(result: Any, name: str, kind: type | tuple[type, ...], method: str) -> Any:
    if not isinstance(result, dict) or not isinstance(result.get(name), kind):
        raise BadResponseError(f"mps3d answered {method} with {result!r}")
    return result[name]


def _seq(method: str) -> Callable[[Any], int]:
    return lambda result: _member(result, "seq", int, method)


def _write_deadline(await_: AwaitMode | None, timeout_ms: int | None) -> int | None:
    if await_ != "remote":
        return None
    return DAEMON_DEFAULT_TIMEOUT_MS if timeout_ms is None else timeout_ms


def put(key: str, value: Any, await_: AwaitMode | None, timeout_ms: int | None,
        store: str | None) -> Call[int]:
    params = params_of(store, key=key, **{"await": await_, "timeoutMs": timeout_ms})
    params["value"] = value  # None is JSON null here, a value like any other
    return Call("put", params, _seq("put"), _write_deadline(await_, timeout_ms))


def _op(op: Put | Delete | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(op, Put):
        return {"key": op.key, "value": op.value}
    if isinstance(op, Delete):
        return {"key": op.key, "delete": True}
    return dict(op)


def put_all(ops: Iterable[Put | Delete | Mapping[str, Any]], await_: AwaitMode | None,
            timeout_ms: int | None, store: str | None) -> Call[int]:
    params = params_of(store, ops=[_op(op) for op in ops],
                       **{"await": await_, "timeoutMs": timeout_ms})
    return Call("putAll", params, _seq("putAll"), _write_deadline(await_, timeout_ms))


def delete(key: str, await_: AwaitMode | None, timeout_ms: int | None,
           store: str | None) -> Call[int]:
    params = params_of(store, key=key, **{"await": await_, "timeoutMs": timeout_ms})
    return Call("delete", params, _seq("delete"), _write_deadline(await_, timeout_ms))


def get(key: str, default: Any, store: str | None) -> Call[Any]:
    def decode(result: Any) -> Any:
        if _member(result, "found", bool, "get"):
            return result.get("value")
        return default

    return Call("get", params_of(store, key=key), decode)


def get_all(keys: Iterable[str], store: str | None) -> Call[dict[str, Any]]:
    def decode(result: Any) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for entry in _member(result, "entries", list, "getAll"):
            if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
                raise BadResponseError(f"mps3d answered getAll with an entry {entry!r}")
            if entry.get("found") is True:
                found[entry["key"]] = entry.get("value")
        return found

    return Call("getAll", params_of(store, keys=list(keys)), decode)


def list_page(prefix: str, limit: int | None, cursor: str | None,
              store: str | None) -> Call[Page]:
    def decode(result: Any) -> Page:
        entries = []
        for entry in _member(result, "entries", list, "list"):
            if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
                raise BadResponseError(f"mps3d answered list with an entry {entry!r}")
            entries.append((entry["key"], entry.get("value")))
        next_cursor = result.get("cursor")
        if next_cursor is not None and not isinstance(next_cursor, str):
            raise BadResponseError(f"mps3d answered list with the cursor {next_cursor!r}")
        return Page(entries, next_cursor)

    return Call("list", params_of(store, prefix=prefix, limit=limit, cursor=cursor), decode)


def status(store: str | None) -> Call[Status]:
    def decode(result: Any) -> Status:
        _member(result, "lastSeq", int, "status")
        return result  # type: ignore[no-any-return]

    return Call("status", params_of(store), decode)


def flush(await_: FlushMode | None, timeout_ms: int | None, store: str | None) -> Call[None]:
    params = params_of(store, **{"await": await_, "timeoutMs": timeout_ms})
    deadline = DAEMON_DEFAULT_TIMEOUT_MS if timeout_ms is None else timeout_ms
    return Call("flush", params, lambda result: None, deadline)


def set_online(online: bool, store: str | None) -> Call[bool]:
    return Call("setOnline", params_of(store, online=online),
                lambda result: _member(result, "online", bool, "setOnline"))
