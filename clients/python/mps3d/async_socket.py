"""Opening mps3d's socket with asyncio."""

from __future__ import annotations

import asyncio

from .errors import Mps3ConnectionError

#: How much is read from the socket at a time.
READ_SIZE = 1 << 16


async def open_unix(path: str, timeout: float | None
                    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection to mps3d, or :class:`Mps3ConnectionError` naming the path."""
    try:
        return await asyncio.wait_for(asyncio.open_unix_connection(path), timeout)
    except (OSError, asyncio.TimeoutError) as e:
        why = getattr(e, "strerror", None) or str(e) or "timed out"
        raise Mps3ConnectionError(
            f"cannot connect to mps3d at {path}: {why} (is mps3d running?)") from e
