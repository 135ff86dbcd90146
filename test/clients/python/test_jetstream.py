"""JetStream and KV through the official Python client (nats-py). Run as the JetStream group
against a `-js` server: env NATS_JS_URL and NATS_JS_CTL."""

import asyncio
import os

import pytest

from nats.js.api import AckPolicy, ConsumerConfig, StorageType, StreamConfig
from nats.js.errors import (
    APIError,
    KeyDeletedError,
    KeyNotFoundError,
    KeyWrongLastSequenceError,
    NoStreamResponseError,
    NotFoundError,
)
from helpers import MSG_TIMEOUT_S, RECONNECT_TIMEOUT_S, connect, env, request_restart, run_async, unique, wait_event


async def js_connect(**kwargs):
    nc = await connect(env("NATS_JS_URL"), **kwargs)
    return nc, nc.jetstream(timeout=10)


@run_async
async def test_stream_crud():
    nc, js = await js_connect()
    u = unique()
    name = f"CRUD_{u}"
    info = await js.add_stream(name=name, subjects=[f"crud.{u}.>"], storage=StorageType.FILE, max_msgs=100)
    assert info.config.name == name and info.config.max_msgs == 100

    info = await js.update_stream(
        StreamConfig(name=name, subjects=[f"crud.{u}.>", f"crud2.{u}"], storage=StorageType.FILE, max_msgs=200)
    )
    assert info.config.max_msgs == 200 and len(info.config.subjects) == 2
    assert (await js.stream_info(name)).config.max_msgs == 200

    with pytest.raises(APIError) as overlap:
        await js.add_stream(name=f"OVERLAP_{u}", subjects=[f"crud.{u}.x"])
    assert overlap.value.err_code == 10065, overlap.value

    assert name in [s.config.name for s in await js.streams_info()]

    await js.publish(f"crud.{u}.a", b"x")
    await js.purge_stream(name)
    state = (await js.stream_info(name)).state
    assert (state.messages, state.last_seq) == (0, 1)

    assert await js.delete_stream(name)
    with pytest.raises(NotFoundError):
        await js.stream_info(name)
    await nc.close()


@run_async
async def test_publish_dedup_and_expectations():
    nc, js = await js_connect()
    u = unique()
    name, subj = f"PUB_{u}", f"pub.{u}"
    await js.add_stream(name=name, subjects=[f"{subj}.>"], storage=StorageType.FILE, duplicate_window=60)

    a1 = await js.publish(f"{subj}.a", b"one", headers={"Nats-Msg-Id": "id-1"})
    assert (a1.stream, a1.seq, bool(a1.duplicate)) == (name, 1, False)
    dup = await js.publish(f"{subj}.a", b"one again", headers={"Nats-Msg-Id": "id-1"})
    assert dup.duplicate and dup.seq == 1

    with pytest.raises(APIError) as e:
        await js.publish(f"{subj}.a", b"x", headers={"Nats-Expected-Last-Sequence": "5"})
    assert e.value.err_code == 10071, e.value
    a2 = await js.publish(
        f"{subj}.b", b"two", headers={"Nats-Expected-Last-Sequence": "1", "Nats-Msg-Id": "id-2"}
    )
    assert a2.seq == 2
    with pytest.raises(APIError) as e:
        await js.publish(f"{subj}.b", b"x", stream=f"NOT_{name}")
    assert e.value.err_code == 10060, e.value
    with pytest.raises(APIError) as e:
        await js.publish(f"{subj}.b", b"x", headers={"Nats-Expected-Last-Msg-Id": "id-1"})
    assert e.value.err_code == 10070, e.value
    await js.publish(f"{subj}.b", b"three", stream=name, headers={"Nats-Expected-Last-Msg-Id": "id-2"})
    with pytest.raises(APIError) as e:
        await js.publish(f"{subj}.a", b"x", headers={"Nats-Expected-Last-Subject-Sequence": "2"})
    assert e.value.err_code == 10071, e.value
    await js.publish(f"{subj}.a", b"four", headers={"Nats-Expected-Last-Subject-Sequence": "1"})

    state = (await js.stream_info(name)).state
    assert (state.messages, state.last_seq) == (4, 4), "rejected publishes must not be stored"
    m = await js.get_msg(name, 3)
    assert (m.data, m.subject) == (b"three", f"{subj}.b")

    with pytest.raises(NoStreamResponseError):
        await js.publish(f"nostream.{u}", b"x")
    await nc.close()


@run_async
async def test_pull_consume_ack_nak_term():
    nc, js = await js_connect()
    u = unique()
    await js.add_stream(name=f"PULL_{u}", subjects=[f"pull.{u}"], storage=StorageType.FILE)
    for i in range(10):
        await js.publish(f"pull.{u}", str(i).encode())
    psub = await js.pull_subscribe(
        f"pull.{u}",
        durable="worker",
        config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=1.0, max_deliver=5),
    )
    msgs = await psub.fetch(10, timeout=MSG_TIMEOUT_S)
    assert [m.data for m in msgs] == [str(i).encode() for i in range(10)]
    for i, m in enumerate(msgs):
        assert m.metadata.num_delivered == 1 and m.metadata.sequence.stream == i + 1
        if i < 6:
            await m.ack()
        elif i == 6:
            await m.ack_sync()  # the server confirms this one
        elif i == 7:
            await m.nak()
        elif i == 8:
            await m.term()
        # 9: left unacked, redelivered after ack_wait

    # Redeliveries: 7 (nak'd) and 9 (ack_wait expired), each delivered twice; never 8.
    redelivered = {}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while len(redelivered) < 2 and loop.time() < deadline:
        try:
            batch = await psub.fetch(2, timeout=2)
        except asyncio.TimeoutError:
            continue
        for m in batch:
            redelivered[m.data] = m.metadata.num_delivered
            await m.ack_sync()
    assert redelivered == {b"7": 2, b"9": 2}, redelivered

    info = await psub.consumer_info()
    assert (info.num_ack_pending, info.num_pending, info.ack_floor.stream_seq, info.delivered.stream_seq) == (
        0,
        0,
        10,
        10,
    ), info
    await nc.close()


@run_async
async def test_ordered_consumer():
    nc, js = await js_connect()
    u = unique()
    await js.add_stream(name=f"ORD_{u}", subjects=[f"ord.{u}.*"], storage=StorageType.FILE)
    for i in range(60):
        await js.publish(f"ord.{u}.{'abc'[i % 3]}", str(i).encode())
    sub = await js.subscribe(f"ord.{u}.a", ordered_consumer=True)
    last = 0
    for i in range(0, 60, 3):
        m = await sub.next_msg(timeout=MSG_TIMEOUT_S)
        assert m.data == str(i).encode() and m.metadata.sequence.stream > last
        last = m.metadata.sequence.stream
    await js.publish(f"ord.{u}.a", b"live")
    assert (await sub.next_msg(timeout=MSG_TIMEOUT_S)).data == b"live"
    await sub.unsubscribe()
    await nc.close()


@run_async
async def test_key_value():
    nc, js = await js_connect()
    u = unique()
    kv = await js.create_key_value(bucket=f"cfg_{u}", history=5, storage=StorageType.FILE)

    watcher = await kv.watch("app.*")
    assert await watcher.updates(timeout=MSG_TIMEOUT_S) is None, "empty bucket: initial-values marker first"

    r1 = await kv.put("app.color", b"red")
    e = await kv.get("app.color")
    assert (e.value, e.revision) == (b"red", r1)
    r2 = await kv.update("app.color", b"green", last=r1)
    with pytest.raises(KeyWrongLastSequenceError):
        await kv.update("app.color", b"blue", last=r1)
    with pytest.raises(KeyWrongLastSequenceError):
        await kv.create("app.color", b"x")
    e = await kv.get("app.color")
    assert (e.value, e.revision) == (b"green", r2)
    await kv.put("app.size", b"L")
    await kv.delete("app.color")
    with pytest.raises((KeyNotFoundError, KeyDeletedError)):
        await kv.get("app.color")
    await kv.create("app.color", b"black")

    hist = await kv.history("app.color")
    assert [(h.operation, h.value) for h in hist] == [
        (None, b"red"),
        (None, b"green"),
        ("DEL", b""),
        (None, b"black"),
    ], [(h.operation, h.value) for h in hist]

    seen = []
    for _ in range(5):
        e = await watcher.updates(timeout=MSG_TIMEOUT_S)
        assert e is not None
        seen.append((e.key, e.value, e.operation))
    assert seen == [
        ("app.color", b"red", None),
        ("app.color", b"green", None),
        ("app.size", b"L", None),
        ("app.color", b"", "DEL"),
        ("app.color", b"black", None),
    ], seen
    await watcher.stop()
    assert sorted(await kv.keys()) == ["app.color", "app.size"]
    await nc.close()


@run_async
async def test_restart_no_loss():
    reconnected = asyncio.Event()

    async def on_reconnect():
        reconnected.set()

    async def ignore(_e):
        return None

    nc, js = await js_connect(
        allow_reconnect=True,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.1,
        reconnected_cb=on_reconnect,
        error_cb=ignore,
    )
    u = unique()
    name, subj = f"RESTART_{u}", f"rs.{u}"
    await js.add_stream(name=name, subjects=[subj], storage=StorageType.FILE)
    psub = await js.pull_subscribe(subj, durable="d", config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=30))

    async def publish(a, b):
        for i in range(a, b):
            ack = await js.publish(subj, str(i).encode())
            assert ack.seq == i + 1

    async def consume(a, b):
        i = a
        while i < b:
            for m in await psub.fetch(b - i, timeout=MSG_TIMEOUT_S):
                assert m.data == str(i).encode(), f"consumed {m.data!r}, want {i} (lost or duplicated)"
                await m.ack_sync()
                i += 1

    # After a crash every message must arrive (no loss). With durable acks (Sluice) exactly once and
    # in order; otherwise (nats-server's default sync may lose recent consumer state) redeliveries
    # of messages consumed before the crash are tolerated.
    exact = os.environ.get("NATS_JS_DURABLE_ACKS") == "1"

    async def consume_after_crash(a, b):
        if exact:
            return await consume(a, b)
        seen = set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RECONNECT_TIMEOUT_S
        while len(seen) < b - a:
            assert loop.time() < deadline, f"after the crash only {len(seen)} of {b - a} messages arrived (lost)"
            try:
                batch = await psub.fetch(b - a, timeout=MSG_TIMEOUT_S)
            except asyncio.TimeoutError:
                continue
            for m in batch:
                n = int(m.data)
                assert n < b, f"unexpected message {n}"
                if n >= a:
                    assert n not in seen, f"message {n} delivered twice after the crash"
                    seen.add(n)
                await m.ack_sync()

    async def restart(mode):
        reconnected.clear()
        await request_restart(env("NATS_JS_CTL"), mode)
        await wait_event(reconnected, f"reconnect after {mode}", RECONNECT_TIMEOUT_S)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RECONNECT_TIMEOUT_S
        while True:  # JetStream may need a moment after the restart; bounded by the deadline
            try:
                await js.stream_info(name)
                return
            except Exception:
                if loop.time() > deadline:
                    raise
                await asyncio.sleep(0.05)

    await publish(0, 100)
    await consume(0, 40)
    await restart("term")
    await consume(40, 70)
    await publish(100, 150)
    await restart("kill")
    await consume_after_crash(70, 150)

    info = await psub.consumer_info()
    assert info.num_pending == 0, info
    if exact:
        assert (info.num_ack_pending, info.ack_floor.stream_seq) == (0, 150), info
    state = (await js.stream_info(name)).state
    assert (state.messages, state.last_seq) == (150, 150)
    await nc.close()
