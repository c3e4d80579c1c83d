"""The values the clients return."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypedDict

#: ``"local"``: answered once committed in the local replica; ``"remote"``: once in the bucket.
AwaitMode = Literal["local", "remote"]
#: ``"uploads"``: every write accepted before is in the bucket; ``"initial"``: the store has
#: read the bucket to the end since mps3d started.
FlushMode = Literal["uploads", "initial"]


@dataclass(frozen=True)
class Change:
    """One change of a subscribed key (a ``changed`` notification).

    Attributes:
        key: the key that changed.
        value: its new value (``None`` for a delete, or a stored JSON ``null``).
        deleted: ``True`` when the key was deleted.
        seq: the change's seq in the store's change log (increasing, never reused).
        origin: ``"local"`` (written through this mps3d) or ``"remote"`` (from the bucket).
        version: the content version a remote change made visible (``""`` for local ones).
    """

    key: str
    value: Any
    deleted: bool
    seq: int
    origin: str
    version: str


@dataclass(frozen=True)
class Put:
    """A ``put_all`` op that writes ``value`` (any JSON value, ``None`` included) at ``key``."""

    key: str
    value: Any


@dataclass(frozen=True)
class Delete:
    """A ``put_all`` op that deletes ``key``."""

    key: str


@dataclass(frozen=True)
class Page:
    """One page of ``list``: ``entries`` as ``(key, value)`` pairs in key order, and the
    ``cursor`` to pass back for the next page (``None`` on the last page)."""

    entries: list[tuple[str, Any]]
    cursor: str | None


class Syncing(TypedDict):
    """Progress of a sync that fetches content."""

    fetched: int
    total: int


Status = TypedDict(
    "Status",
    {
        "store": str,
        "online": bool,
        "queuedWrites": int,
        "oldestQueued": "str | None",
        "lastSync": "str | None",
        "clockOffsetMs": int,
        "lastError": str,
        "lastErrorKind": "str | None",
        "failedAttempts": int,
        "failingSince": "str | None",
        "nextAttempt": "str | None",
        "entriesWritten": int,
        "lastSeq": int,
        "initialSyncDone": bool,
        "versioning": bool,
        "groupCommits": int,
        "groupCommittedWrites": int,
        "readCacheHits": int,
        "readCacheMisses": int,
        "readCacheBytes": int,
        "syncing": "Syncing | None",
    },
)
Status.__doc__ = "The result of ``status`` (docs/ipc-protocol.md, ``status``, has each field)."
