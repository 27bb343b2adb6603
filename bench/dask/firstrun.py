#!/usr/bin/env python3
"""Dask's side of Shoal's `firstrun` benchmark (issue 10's topology): a `dask-scheduler` process
and `dask-worker --nthreads T` processes started as a user starts them, then a fresh client
process that connects, waits for the workers and times its first `client.map` + `gather` of N
no-op tasks, then a second one. Every repetition starts everything afresh.

Usage: firstrun.py [--workers 2] [--threads 1] [--n 100000] [--reps 1]
Prints progress on stderr and one JSON line on stdout, shaped like throughput.py's
({"bench": "throughput", "results": {"map_N": {...}}}).
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time


def inc(x):
    return x + 1


def client_child(address, workers, n):
    from distributed import Client
    figures = {}
    t0 = time.perf_counter()
    with Client(address) as client:
        client.wait_for_workers(workers)
        figures["client_connected_s"] = time.perf_counter() - t0
        for run, name in enumerate(["first", "second"]):
            start = time.perf_counter()
            futures = client.map(inc, range(run * n, run * n + n))
            results = client.gather(futures)
            seconds = time.perf_counter() - start
            assert results[0] == run * n + 1 and results[-1] == run * n + n
            del futures
            figures[f"{name}_s"] = seconds
            figures[f"{name}_tasks_per_s"] = n / seconds
            while client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)) > 0:
                time.sleep(0.05)
    print(json.dumps(figures), flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_run(python, workers, threads, n, child_script=None):
    """Starts dask-scheduler and the workers, runs `child_script --child ADDRESS` (this script by default) as the fresh
    client and returns the JSON line it prints."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = []
    try:
        procs.append(subprocess.Popen([python, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
                                       "--dashboard-address", ":0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for _ in range(workers):
            procs.append(subprocess.Popen([python, "-m", "distributed.cli.dask_worker", address, "--nthreads", str(threads),
                                           "--nworkers", "1", "--dashboard-address", ":0"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        out = subprocess.run([python, child_script or __file__, "--child", address, "--workers", str(workers), "--n", str(n)],
                             check=True, stdout=subprocess.PIPE, text=True).stdout
        return json.loads([l for l in out.splitlines() if l.startswith("{")][-1])
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--n", type=float, nargs="+", default=[100000])
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--child")
    args, _ = ap.parse_known_args()
    if args.child:
        client_child(args.child, args.workers, int(args.n[0]))
        return
    import distributed
    results = {}
    for n in [int(x) for x in args.n]:
        runs = []
        for rep in range(args.reps):
            figures = one_run(sys.executable, args.workers, args.threads, n)
            print(f"firstrun n={n} rep {rep}: {figures}", file=sys.stderr, flush=True)
            runs.append(figures)
        first = [r["first_s"] for r in runs]
        med = statistics.median(first)
        results[f"map_{n}"] = {"tasks": n, "s_median": round(med, 4), "tasks_per_s_median": round(n / med, 1),
                               "second_tasks_per_s_median": round(statistics.median([n / r["second_s"] for r in runs]), 1)}
    print(json.dumps({"bench": "throughput", "distributed": distributed.__version__, "workers": args.workers,
                      "threads": args.threads, "reps": args.reps, "results": results}))


if __name__ == "__main__":
    main()
