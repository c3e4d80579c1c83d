"""The exceptions of the mps3d client.

Every error the daemon answers is an :class:`Mps3Error` carrying the JSON-RPC ``code``,
``message`` and ``data``; the codes the protocol documents (docs/ipc-protocol.md, "Error codes")
have a subclass each, so an application catches what it can handle
(``except InvalidKeyError``) and compares ``code`` for anything else. Problems on the client's
side of the socket (cannot connect, the connection dropped, no answer in time) are
:class:`Mps3ConnectionError`, whose ``code`` is ``None``.
"""

from __future__ import annotations

from typing import Any


class Mps3Error(Exception):
    """An error from mps3d or from talking to it.

    Attributes:
        code: the JSON-RPC error code (``-32602``, ``-32004``...), ``None`` for errors that did
            not come from the daemon.
        message: the daemon's message, for people (programs look at ``code`` and ``data``).
        data: the error's ``data`` member (parameter names, S3 diagnostics...), or ``None``.
    """

    def __init__(self, message: str, code: int | None = None, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def __str__(self) -> str:
        return self.message if self.code is None else f"{self.message} (code {self.code})"


class ParseError(Mps3Error):
    """-32700: the daemon could not read the line as JSON."""


class InvalidRequestError(Mps3Error):
    """-32600: JSON, but not a request (also a line over the daemon's frame limit)."""


class MethodNotFoundError(Mps3Error):
    """-32601: the daemon has no such method (an older mps3d?)."""


class InvalidParamsError(Mps3Error):
    """-32602: a parameter is missing, unknown, or of the wrong type or range."""


class InternalError(Mps3Error):
    """-32603: a bug or an unexpected failure inside mps3d; the daemon carries on."""


class UnknownStoreError(Mps3Error):
    """-32001: ``store`` names no store of this daemon."""


class InvalidKeyError(Mps3Error):
    """-32002: the key is refused (empty, over 987 bytes, or one of the manifest's objects)."""


class ValueTooLargeError(Mps3Error):
    """-32003: the value is over 8 MiB of JSON (a ``putAll`` over 32 MiB)."""


class OperationTimeoutError(Mps3Error):
    """-32004: the daemon's deadline passed (``flush``, ``await="remote"``).

    The writes stay queued in mps3d and are still uploaded.
    """


class OfflineError(Mps3Error):
    """-32005: the bucket is needed but cannot be reached now."""


class StorageError(Mps3Error):
    """-32006: the local replica or the bucket failed; S3 details are in ``data``."""


class NotFoundError(Mps3Error):
    """-32007: the thing named does not exist (a subscription id)."""


class ForbiddenError(Mps3Error):
    """-32008: this process's user may not use this daemon."""


class Mps3ConnectionError(Mps3Error):
    """The daemon cannot be reached, the connection dropped, or no answer came in time.

    A write whose answer was lost this way may or may not have been committed: read it back
    after reconnecting.
    """


class BadResponseError(Mps3Error):
    """The daemon sent something that is not the JSON-RPC this client understands."""


class ChangesMissedError(Mps3Error):
    """A subscription cannot prove it delivered every change.

    Raised by a subscription when mps3d answers a resubscription with ``complete: false``: its
    change log no longer reaches back to the last change delivered (or that seq is from another
    replica). Read the current values (``get_all``, ``list``) and subscribe again.

    Attributes:
        since: the seq the subscription asked to resume after.
    """

    def __init__(self, since: int) -> None:
        super().__init__(
            f"changes after seq {since} are no longer all in mps3d's change log; "
            "read the current values and subscribe again"
        )
        self.since = since


ERRORS_BY_CODE: dict[int, type[Mps3Error]] = {
    -32700: ParseError,
    -32600: InvalidRequestError,
    -32601: MethodNotFoundError,
    -32602: InvalidParamsError,
    -32603: InternalError,
    -32001: UnknownStoreError,
    -32002: InvalidKeyError,
    -32003: ValueTooLargeError,
    -32004: OperationTimeoutError,
    -32005: OfflineError,
    -32006: StorageError,
    -32007: NotFoundError,
    -32008: ForbiddenError,
}


def error_from_response(error: Any) -> Mps3Error:
    """The exception for a response's ``error`` member (a code this client does not know gives
    the base class, with the code)."""
    if not isinstance(error, dict) or not isinstance(error.get("code"), int):
        return BadResponseError(f"mps3d sent an error that is not a JSON-RPC error: {error!r}")
    code: int = error["code"]
    message = error.get("message")
    cls = ERRORS_BY_CODE.get(code, Mps3Error)
    return cls(message if isinstance(message, str) else "", code, error.get("data"))
