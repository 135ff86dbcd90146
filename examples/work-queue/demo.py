"""The work-queue demo end to end: sets up the queue, starts several worker processes, runs the
producer, and checks that every job was processed exactly once, by more than one worker, and
that the work-queue stream is empty afterwards. Exit code 0 on success.

    NATS_URL=nats://127.0.0.1:4222 python demo.py --workers 3 --jobs 60
"""

import argparse
import asyncio
import json
import os
import secrets
import sys
from pathlib import Path

import nats

from workqueue import CONSUMER, RESULTS, STREAM, answer, ensure_queue, server_url

HERE = Path(__file__).resolve().parent
DEADLINE_S = 60.0


async def wait_until(what, check, timeout=DEADLINE_S):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise SystemExit(f"demo failed: timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)  # polling server state, bounded by the deadline


async def spawn(*args):
    return await asyncio.create_subprocess_exec(sys.executable, *args, cwd=HERE, env=os.environ.copy())


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=60)
    args = parser.parse_args()
    if not (1 <= args.workers <= 16 and 1 <= args.jobs <= 10_000):
        parser.error("--workers must be 1..16 and --jobs 1..10000")
    run = secrets.token_hex(4)

    nc = await nats.connect(server_url(), name="demo")
    js = nc.jetstream()
    await ensure_queue(js)
    results = {}
    duplicates = []

    async def on_result(msg):
        r = json.loads(msg.data)
        if not r["job"].startswith(f"{run}-"):
            return
        if r["job"] in results:
            duplicates.append(r["job"])
        results[r["job"]] = r

    await nc.subscribe(RESULTS, cb=on_result)
    await nc.flush()

    workers = [await spawn("worker.py", "--name", f"w{i + 1}") for i in range(args.workers)]
    try:
        # Start producing only when every worker has a pull request waiting, so all share the work.
        async def all_waiting():
            return (await js.consumer_info(STREAM, CONSUMER)).num_waiting >= args.workers

        await wait_until(f"{args.workers} workers to wait for jobs", all_waiting)
        producer = await spawn("producer.py", "--jobs", str(args.jobs), "--run", run)
        if await asyncio.wait_for(producer.wait(), DEADLINE_S) != 0:
            raise SystemExit("demo failed: producer exited with an error")

        async def all_done():
            return len(results) >= args.jobs

        await wait_until(f"{args.jobs} results", all_done)

        async def queue_empty():
            return (await js.stream_info(STREAM)).state.messages == 0

        await wait_until("the work queue to drain (acked jobs are removed)", queue_empty)
    finally:
        for w in workers:
            if w.returncode is None:
                w.terminate()
        codes = [await asyncio.wait_for(w.wait(), DEADLINE_S) for w in workers]
        await nc.close()

    per_worker = {}
    for r in results.values():
        per_worker[r["worker"]] = per_worker.get(r["worker"], 0) + 1
        n = 1000 + int(r["job"].rsplit("-", 1)[1])
        if r["answer"] != answer(n):
            raise SystemExit(f"demo failed: wrong answer for {r['job']}")
    print(f"{len(results)} jobs processed, per worker: {dict(sorted(per_worker.items()))}")
    if duplicates:
        raise SystemExit(f"demo failed: jobs processed twice: {duplicates}")
    if sorted(results) != sorted(f"{run}-{i}" for i in range(args.jobs)):
        raise SystemExit("demo failed: results do not match the jobs")
    if args.workers > 1 and len(per_worker) < 2:
        raise SystemExit("demo failed: only one worker got jobs")
    if any(c != 0 for c in codes):
        raise SystemExit(f"demo failed: worker exit codes {codes}")
    print("work-queue demo OK")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
