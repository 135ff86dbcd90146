"""Shared setup for the work-queue demo: the JOBS stream and the shared `workers` consumer."""

import os

from nats.js.api import AckPolicy, ConsumerConfig, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

STREAM = "JOBS"
SUBJECTS = ["jobs.>"]
CONSUMER = "workers"
RESULTS = "results.jobs"


def server_url() -> str:
    return os.environ.get("NATS_URL", "nats://127.0.0.1:4222")


async def ensure_queue(js) -> None:
    """Create (or keep) a work-queue stream: each job is removed once a worker acks it."""
    config = StreamConfig(
        name=STREAM,
        subjects=SUBJECTS,
        retention=RetentionPolicy.WORK_QUEUE,
        storage=StorageType.FILE,
        duplicate_window=120,
    )
    try:
        await js.stream_info(STREAM)
        await js.update_stream(config)
    except NotFoundError:
        await js.add_stream(config)
    # One durable pull consumer shared by every worker: the server hands each job to one of them.
    await js.add_consumer(
        STREAM,
        ConsumerConfig(durable_name=CONSUMER, ack_policy=AckPolicy.EXPLICIT, ack_wait=30, max_deliver=5),
    )


def answer(n: int) -> int:
    """The 'work': sum of squares below n (checked by the demo)."""
    return sum(i * i for i in range(n))
