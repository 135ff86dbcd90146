"""Shared helpers for the nats-py suites; the vitest wrapper passes URLs/credentials in env vars."""

import asyncio
import functools
import os
import secrets
import time
from pathlib import Path

import nats

MSG_TIMEOUT_S = 5.0
RECONNECT_TIMEOUT_S = 30.0
RESTART_TIMEOUT_S = 60.0


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(
            f"env {name} is not set: run this suite through test/clients/python.test.ts"
        )
    return value


def unique() -> str:
    return secrets.token_hex(6)


def run_async(fn):
    """Run an async test with a hard deadline (no pytest-asyncio needed)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        async def bounded():
            return await asyncio.wait_for(fn(*args, **kwargs), timeout=120)

        return asyncio.run(bounded())

    return wrapper


async def connect(url: str, **kwargs):
    kwargs.setdefault("name", "sluice-python-suite")
    kwargs.setdefault("connect_timeout", 5)
    kwargs.setdefault("allow_reconnect", False)
    return await nats.connect(url, **kwargs)


async def wait_event(event: asyncio.Event, what: str, timeout: float = MSG_TIMEOUT_S) -> None:
    try:
        await asyncio.wait_for(event.wait(), timeout)
    except asyncio.TimeoutError:
        raise AssertionError(f"timed out after {timeout}s waiting for {what}") from None


async def request_restart(ctl_dir: str, mode: str = "term") -> None:
    """Ask the wrapper to restart the broker (protocol in test/clients/lib/restart-controller.ts)."""
    rid = unique()
    tmp = Path(ctl_dir) / f"tmp-{rid}"
    tmp.write_text(mode)
    tmp.rename(Path(ctl_dir) / f"request-{rid}")
    done = Path(ctl_dir) / f"done-{rid}"
    deadline = time.monotonic() + RESTART_TIMEOUT_S
    while not done.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"broker was not restarted within {RESTART_TIMEOUT_S}s")
        await asyncio.sleep(0.02)  # polling a file the wrapper writes; bounded by the deadline
    result = done.read_text().strip()
    assert result == "ok", f"broker restart failed: {result}"
