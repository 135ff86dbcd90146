"""Publishes jobs to the work queue, each with a Nats-Msg-Id so a retry never enqueues a job
twice.   python producer.py --jobs 60 --run r1   (server: $NATS_URL)"""

import argparse
import asyncio
import json

import nats

from workqueue import ensure_queue, server_url


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--run", default="demo", help="prefix of the job ids")
    args = parser.parse_args()
    if not 0 < args.jobs <= 100_000:
        parser.error("--jobs must be in 1..100000")

    nc = await nats.connect(server_url(), name="producer")
    js = nc.jetstream()
    await ensure_queue(js)
    for i in range(args.jobs):
        job = {"id": f"{args.run}-{i}", "n": 1000 + i}
        ack = await js.publish(f"jobs.{args.run}", json.dumps(job).encode(), headers={"Nats-Msg-Id": job["id"]})
        if ack.duplicate:
            print(f"job {job['id']} was already queued")
    print(f"producer queued {args.jobs} jobs", flush=True)
    await nc.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
