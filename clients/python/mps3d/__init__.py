"""Python client of mps3d, the local sync daemon (standard library only).

>>> from mps3d import Client
>>> with Client() as db:                      # the socket is found as mps3ctl finds it
...     seq = db.put("users/ada", {"name": "Ada"})
...     db.get("users/ada")
{'name': 'Ada'}

:class:`Client` blocks; :class:`AsyncClient` is the asyncio twin. Subscriptions
(``subscribe``) are iterators (``for``/``async for``) of :class:`Change` that never miss a
change across daemon restarts and ``lagged``. Errors are :class:`Mps3Error` subclasses carrying
the JSON-RPC ``code``, ``message`` and ``data``. The protocol: docs/ipc-protocol.md; this
client: docs/clients.md.
"""

from .aio import AsyncClient
from .async_subscription import AsyncSubscription
from .client import Client
from .errors import (
    BadResponseError,
    ChangesMissedError,
    ForbiddenError,
    InternalError,
    InvalidKeyError,
    InvalidParamsError,
    InvalidRequestError,
    MethodNotFoundError,
    Mps3ConnectionError,
    Mps3Error,
    NotFoundError,
    OfflineError,
    OperationTimeoutError,
    ParseError,
    StorageError,
    UnknownStoreError,
    ValueTooLargeError,
)
from .socket_path import resolve_socket_path
from .subscription import Subscription
from .types import AwaitMode, Change, Delete, FlushMode, Page, Put, Status

__all__ = [
    "AsyncClient", "AsyncSubscription", "AwaitMode", "BadResponseError", "Change",
    "ChangesMissedError", "Client", "Delete", "FlushMode", "ForbiddenError", "InternalError",
    "InvalidKeyError", "InvalidParamsError", "InvalidRequestError", "MethodNotFoundError",
    "Mps3ConnectionError", "Mps3Error", "NotFoundError", "OfflineError",
    "OperationTimeoutError", "Page", "ParseError", "Put", "Status", "StorageError",
    "Subscription", "UnknownStoreError", "ValueTooLargeError", "resolve_socket_path",
]
__version__ = "0.1.0"
