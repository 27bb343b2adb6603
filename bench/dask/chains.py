#!/usr/bin/env python3
"""Dask's side of Shoal's `chains` benchmark (issue 10, item 2): a `dask-scheduler` process and
`dask-worker --nthreads T` processes started as a user starts them, then a fresh client process
that times a warm-up chain of `client.submit` futures, a chain of N `submit`s and a `delayed`
chain of N links (as bench/dask's throughput.py builds them). Every repetition starts everything
afresh.

Usage: chains.py [--workers 2] [--threads 1] [--n 5000] [--reps 1]
Prints progress on stderr and one JSON line on stdout shaped like Shoal's `chains`
({"bench": "chains", "results": {"fchain_N": {"us_per_task_median": ...}, ...}}).
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from firstrun import one_run  # noqa: E402  (same directory: the same processes, another client)


def inc(x):
    return x + 1


def chain_seconds(client, n, futures):
    from dask import delayed
    start = time.perf_counter()
    step = (lambda x: client.submit(inc, x, pure=False)) if futures else delayed(inc)
    x = step(0)
    for _ in range(n - 1):
        x = step(x)
    result = x.result() if futures else client.compute(x, optimize_graph=False).result()
    seconds = time.perf_counter() - start
    assert result == n, result
    return seconds


def client_child(address, workers, n):
    from distributed import Client
    figures = {}
    with Client(address) as client:
        client.wait_for_workers(workers)
        for name, futures in [("warmup_fchain", True), ("fchain", True), ("chain", False)]:
            figures[f"{name}_us_per_link"] = chain_seconds(client, n, futures) * 1e6 / n
            while client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)) > 0:
                time.sleep(0.05)
    print(json.dumps(figures), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--child")
    args, _ = ap.parse_known_args()
    if args.child:
        client_child(args.child, args.workers, args.n)
        return
    import distributed
    runs = []
    for rep in range(args.reps):
        figures = one_run(sys.executable, args.workers, args.threads, args.n, child_script=__file__)
        print(f"chains n={args.n} rep {rep}: {figures}", file=sys.stderr, flush=True)
        runs.append(figures)
    results = {}
    for kind in ["warmup_fchain", "fchain", "chain"]:
        us = statistics.median([r[f"{kind}_us_per_link"] for r in runs])
        results[f"{kind}_{args.n}"] = {"tasks": args.n, "us_per_task_median": round(us, 1), "tasks_per_s_median": round(1e6 / us, 1)}
    print(json.dumps({"bench": "chains", "distributed": distributed.__version__, "workers": args.workers,
                      "threads": args.threads, "reps": args.reps, "results": results}))


if __name__ == "__main__":
    main()
