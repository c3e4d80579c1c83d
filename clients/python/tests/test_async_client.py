"""The asyncio AsyncClient against a real mps3d: the same surface, calls in flight at once."""

from __future__ import annotations

import asyncio

import pytest

from conftest import Daemon
from mps3d import AsyncClient, Delete, InvalidKeyError, Mps3ConnectionError, Put


def test_async_surface(daemon: Daemon) -> None:
    async def main() -> None:
        async with AsyncClient(daemon.socket) as c:
            seq = await c.put("a/1", {"n": 1})
            assert await c.get("a/1") == {"n": 1}
            assert await c.put_all([Put("a/2", 2), Put("a/3", 3), Delete("a/1")]) > seq
            assert await c.get_all(["a/1", "a/2", "a/3"]) == {"a/2": 2, "a/3": 3}
            pages = [page async for page in c.list("a/", limit=1)]
            assert [p.entries for p in pages] == [[("a/2", 2)], [("a/3", 3)]]
            assert [item async for item in c.items("a/")] == [("a/2", 2), ("a/3", 3)]
            assert await c.delete("a/2") > 0
            assert await c.set_online(True) is True
            await c.flush(timeout_ms=20_000)
            assert (await c.status())["queuedWrites"] == 0
            with pytest.raises(InvalidKeyError) as bad:
                await c.put("", 1)
            assert bad.value.code == -32002
            assert await c.request("get", {"key": "a/3"}) == {"found": True, "value": 3}

    asyncio.run(main())


def test_concurrent_calls_are_matched_to_their_answers(daemon: Daemon) -> None:
    async def main() -> None:
        async with AsyncClient(daemon.socket) as c:
            await asyncio.gather(*(c.put(f"k/{i}", i) for i in range(200)))
            values = await asyncio.gather(*(c.get(f"k/{i}") for i in range(200)))
            assert values == list(range(200))
            # A slow call (flush while offline) does not hold up the others.
            await c.set_online(False)
            slow = asyncio.ensure_future(c.flush(timeout_ms=20_000))
            assert await c.get("k/7") == 7
            assert not slow.done()
            await c.set_online(True)
            await slow

    asyncio.run(main())


def test_async_client_reconnects_after_a_restart(daemon: Daemon) -> None:
    async def main() -> None:
        async with AsyncClient(daemon.socket) as c:
            await c.put("kept", 1)
            daemon.stop()
            with pytest.raises(Mps3ConnectionError):
                await c.get("kept")
            daemon.start()
            assert await c.get("kept") == 1

    asyncio.run(main())
