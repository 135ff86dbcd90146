"""Core NATS protocol behaviour through the official Python client (nats-py)."""

import asyncio
import ssl

import pytest

from nats.errors import NoRespondersError
from helpers import (
    MSG_TIMEOUT_S,
    RECONNECT_TIMEOUT_S,
    connect,
    env,
    request_restart,
    run_async,
    unique,
    wait_event,
)


async def expect_nothing(nc, sub):
    """After a server round trip, anything sent before it has been delivered."""
    await nc.flush()
    assert sub.pending_msgs == 0, f"unexpected message on {sub.subject}"


@run_async
async def test_pub_sub():
    nc = await connect(env("NATS_URL"))
    subj = f"core.pubsub.{unique()}"
    sub = await nc.subscribe(subj)
    await nc.flush()
    for i in range(20):
        await nc.publish(subj, f"msg-{i}".encode())
    for i in range(20):
        msg = await sub.next_msg(timeout=MSG_TIMEOUT_S)
        assert (msg.subject, msg.data) == (subj, f"msg-{i}".encode())
    await nc.publish(subj, b"")
    assert (await sub.next_msg(timeout=MSG_TIMEOUT_S)).data == b""
    await expect_nothing(nc, sub)
    await nc.close()


@run_async
async def test_wildcards():
    nc = await connect(env("NATS_URL"))
    u = unique()
    star = await nc.subscribe(f"wc.{u}.*.x")
    full = await nc.subscribe(f"wc.{u}.>")
    await nc.flush()
    for s in ["a.x", "b.y", "a.b.x", "c.x"]:
        await nc.publish(f"wc.{u}.{s}", s.encode())
    assert [(await star.next_msg(MSG_TIMEOUT_S)).data for _ in range(2)] == [b"a.x", b"c.x"]
    got = [(await full.next_msg(MSG_TIMEOUT_S)).data for _ in range(4)]
    assert got == [b"a.x", b"b.y", b"a.b.x", b"c.x"]
    await nc.publish(f"wc.{u}", b"bare")  # '>' needs at least one more token
    await expect_nothing(nc, star)
    await expect_nothing(nc, full)
    await nc.close()


@run_async
async def test_queue_groups():
    nc = await connect(env("NATS_URL"))
    subj = f"core.queue.{unique()}"
    total = 300
    members = [await nc.subscribe(subj, queue="workers") for _ in range(3)]
    plain = await nc.subscribe(subj)
    await nc.flush()
    for i in range(total):
        await nc.publish(subj, str(i).encode())
    await nc.flush()
    for _ in range(total):
        await plain.next_msg(MSG_TIMEOUT_S)
    seen = []
    busy = 0
    for m in members:
        n = m.pending_msgs
        busy += n > 0
        seen += [(await m.next_msg(MSG_TIMEOUT_S)).data for _ in range(n)]
    assert sorted(seen) == sorted(str(i).encode() for i in range(total)), "each message once per group"
    assert busy >= 2, f"only {busy} queue members got messages"
    await nc.close()


@run_async
async def test_request_reply():
    nc = await connect(env("NATS_URL"))
    subj = f"core.svc.{unique()}"

    async def handler(msg):
        await msg.respond(msg.data.upper())

    await nc.subscribe(subj, cb=handler)
    await nc.flush()
    replies = await asyncio.gather(
        *(nc.request(subj, f"hello-{i}".encode(), timeout=MSG_TIMEOUT_S) for i in range(10))
    )
    assert [r.data for r in replies] == [f"HELLO-{i}".encode() for i in range(10)]
    await nc.close()


@run_async
async def test_no_responders():
    nc = await connect(env("NATS_URL"))
    loop = asyncio.get_running_loop()
    start = loop.time()
    with pytest.raises(NoRespondersError):
        await nc.request(f"core.nobody.{unique()}", b"anyone?", timeout=10)
    assert loop.time() - start < 10, "503 should come back before the timeout"
    await nc.close()


@run_async
async def test_headers():
    nc = await connect(env("NATS_URL"))
    subj = f"core.hdr.{unique()}"
    sub = await nc.subscribe(subj)
    await nc.flush()
    await nc.publish(subj, b"with headers", headers={"X-Trace-Id": "abc-123", "lower-key": "v"})
    msg = await sub.next_msg(MSG_TIMEOUT_S)
    assert msg.data == b"with headers"
    assert msg.headers == {"X-Trace-Id": "abc-123", "lower-key": "v"}

    async def echo(m):
        # Msg.respond() takes no headers, so reply with a publish to the reply subject.
        await nc.publish(m.reply, b"ok", headers={"X-Echo": m.headers["X-Ask"]})

    await nc.subscribe(subj + ".svc", cb=echo)
    await nc.flush()
    resp = await nc.request(subj + ".svc", b"", timeout=MSG_TIMEOUT_S, headers={"X-Ask": "ping"})
    assert resp.headers["X-Echo"] == "ping"
    await nc.close()


async def round_trip(nc):
    subj = f"allowed.rt.{unique()}"
    sub = await nc.subscribe(subj)
    await nc.publish(subj, b"rt")
    assert (await sub.next_msg(MSG_TIMEOUT_S)).data == b"rt"


async def expect_auth_failure(url, **kwargs):
    errors = []

    async def on_error(e):
        errors.append(e)

    with pytest.raises(Exception) as info:
        nc = await connect(url, error_cb=on_error, **kwargs)
        await nc.close()
    text = " ".join(str(x).lower() for x in [info.value, *errors])
    assert "authorization" in text, f"want an authorization violation, got {info.value!r} {errors!r}"


@run_async
async def test_auth_user_password():
    url = env("NATS_USERS_URL")
    nc = await connect(url, user=env("NATS_USER"), password=env("NATS_PASSWORD"))
    await round_trip(nc)
    await nc.close()
    nc = await connect(url, user=env("NATS_LIMITED_USER"), password=env("NATS_LIMITED_PASSWORD"))
    await round_trip(nc)
    await nc.close()
    await expect_auth_failure(url, user=env("NATS_USER"), password="wrong-password")
    await expect_auth_failure(url, user="nobody", password="x")
    await expect_auth_failure(url)


@run_async
async def test_auth_token():
    url = env("NATS_TOKEN_URL")
    nc = await connect(url, token=env("NATS_TOKEN"))
    await round_trip(nc)
    await nc.close()
    await expect_auth_failure(url, token="not-the-token")
    await expect_auth_failure(url)


@run_async
async def test_permission_violation():
    url = env("NATS_USERS_URL")
    errors: asyncio.Queue = asyncio.Queue()

    async def on_error(e):
        await errors.put(e)

    limited = await connect(
        url, user=env("NATS_LIMITED_USER"), password=env("NATS_LIMITED_PASSWORD"), error_cb=on_error
    )
    admin = await connect(url, user=env("NATS_USER"), password=env("NATS_PASSWORD"))
    u = unique()
    watch = await admin.subscribe(f"*.{u}")
    await admin.flush()

    await limited.publish(f"denied.{u}", b"forbidden")
    await limited.publish(f"allowed.{u}", b"fine")
    await limited.flush()
    err = await asyncio.wait_for(errors.get(), MSG_TIMEOUT_S)
    assert f'permissions violation for publish to "denied.{u}"' in str(err).lower(), err
    first = await watch.next_msg(MSG_TIMEOUT_S)
    assert first.subject == f"allowed.{u}", "the denied publish (sent first) was delivered"

    bad = await limited.subscribe(f"denied.sub.{u}")
    await limited.flush()
    err = await asyncio.wait_for(errors.get(), MSG_TIMEOUT_S)
    assert f'permissions violation for subscription to "denied.sub.{u}"' in str(err).lower(), err
    await admin.publish(f"denied.sub.{u}", b"x")
    await admin.flush()
    await limited.flush()
    assert bad.pending_msgs == 0
    assert limited.is_connected, "connection must stay open after permission violations"
    await round_trip(limited)
    await limited.close()
    await admin.close()


def tls_context(with_client_cert: bool, trust_ca: bool = True) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=env("NATS_TLS_CA") if trust_ca else None)
    if with_client_cert:
        ctx.load_cert_chain(env("NATS_TLS_CERT"), env("NATS_TLS_KEY"))
    return ctx


@run_async
async def test_tls():
    url = env("NATS_TLS_URL")
    nc = await connect(url, tls=tls_context(True))
    assert nc.connected_url.scheme == "tls"
    subj = f"tls.{unique()}"
    sub = await nc.subscribe(subj)
    await nc.publish(subj, b"secret")
    assert (await sub.next_msg(MSG_TIMEOUT_S)).data == b"secret"
    await nc.close()
    # Client certificates are required, and the client must trust the server's CA.
    for ctx in (tls_context(False), tls_context(True, trust_ca=False)):
        with pytest.raises(Exception):
            bad = await connect(url, tls=ctx, error_cb=_ignore)
            await bad.close()


async def _ignore(_e):
    return None


@run_async
async def test_reconnect_after_restart():
    url, ctl = env("NATS_RESTART_URL"), env("NATS_RESTART_CTL")
    disconnected, reconnected = asyncio.Event(), asyncio.Event()

    async def on_disconnect():
        disconnected.set()

    async def on_reconnect():
        reconnected.set()

    nc = await connect(
        url,
        allow_reconnect=True,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.1,
        disconnected_cb=on_disconnect,
        reconnected_cb=on_reconnect,
        error_cb=_ignore,
    )
    subj = f"reconnect.{unique()}"
    sub = await nc.subscribe(subj)

    async def svc(m):
        await m.respond(b"pong")

    await nc.subscribe(subj + ".svc", cb=svc)
    await nc.publish(subj, b"before")
    assert (await sub.next_msg(MSG_TIMEOUT_S)).data == b"before"

    await request_restart(ctl, "term")
    await wait_event(disconnected, "disconnect", RECONNECT_TIMEOUT_S)
    await wait_event(reconnected, "reconnect", RECONNECT_TIMEOUT_S)

    await nc.publish(subj, b"after")
    assert (await sub.next_msg(MSG_TIMEOUT_S)).data == b"after"
    assert (await nc.request(subj + ".svc", b"ping", timeout=MSG_TIMEOUT_S)).data == b"pong"
    await nc.close()
