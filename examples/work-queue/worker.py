"""A work-queue worker: pulls one job at a time from the shared consumer, publishes the result,
then acks. Runs until SIGTERM/SIGINT.   python worker.py --name w1   (server: $NATS_URL)"""

import argparse
import asyncio
import json
import signal

import nats
from nats.errors import TimeoutError as NatsTimeoutError

from workqueue import CONSUMER, RESULTS, STREAM, answer, server_url


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--name", required=True)
    args = parser.parse_args()

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    nc = await nats.connect(server_url(), name=f"worker-{args.name}")
    js = nc.jetstream()
    jobs = await js.pull_subscribe_bind(durable=CONSUMER, stream=STREAM)
    print(f"worker {args.name} ready", flush=True)
    done = 0
    while not stop.is_set():
        try:
            msgs = await jobs.fetch(1, timeout=1)
        except NatsTimeoutError:
            continue  # no job within a second: ask again (or stop)
        for msg in msgs:
            job = json.loads(msg.data)
            result = {"job": job["id"], "worker": args.name, "answer": answer(job["n"])}
            await nc.publish(RESULTS, json.dumps(result).encode())
            await msg.ack_sync()
            done += 1
    print(f"worker {args.name} processed {done} jobs", flush=True)
    # Every processed job was acked synchronously above, so closing loses nothing.
    await nc.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
