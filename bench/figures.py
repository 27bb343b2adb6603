"""What bench/run and bench/compare read out of a benchmark's JSON: its figures, their labels and units.

figures(workload, result) -> {case: (value, higher_is_better, text)}; case_label(workload, case) names a row.
"""


REASON = {"missing": "n/a (no benchmark yet)", "skipped": "n/a (not run)", "no-equivalent": "—",
          "build-failed": "n/a (build failed)", "timeout": "n/a (timed out)", "no-json": "n/a (no JSON)"}


def unavailable(rec):
    if rec is None:
        return "n/a"
    if rec["status"] == "failed":
        return f"n/a (failed, rc {rec['rc']})"
    return REASON.get(rec["status"], "n/a")


def num(x, nd=0):
    return f"{x:,.{nd}f}"


STARTUP = {"cluster_s": "cluster ready (processes)", "from_exec_s": "process start -> client ready",
           "close_s": "shutdown", "inprocess_s": "in-process cluster ready (first in process)",
           "inprocess_warm_s": "in-process cluster ready (warm)", "inprocess_close_s": "in-process shutdown",
           "flow": "map N + submit(sum), warm", "cold_s": "first run on a fresh cluster"}


def case_label(bench, key):
    """A readable name for a result key: map_10000 -> "map+gather, 10,000 tasks"."""
    if key in STARTUP:
        return STARTUP[key]
    if bench == "transfer":
        size, _, scheme = key.partition(" ")
        mb = size[:-2] if size.endswith("MB") else size
        return (f"worker A -> B, {mb} MB, Shoal tls:// vs Dask tcp://" if scheme == "tls"
                else f"worker A -> B, {mb} MB, tcp://")
    kind, _, n = key.partition("_")
    if n.isdigit():
        what = {"map": "map+gather, {} tasks", "tree": "tree reduction, {} leaves",
                "chain": "dependency chain, {} links", "fchain": "futures chain, {} links"}.get(kind)
        if what:
            return what.format(f"{int(n):,}")
    return key


def figures(bench, res):
    """row key -> (value, higher_is_better, text) for the figures a result carries."""
    out = {}
    if not isinstance(res, dict):
        return out
    if bench == "transfer":
        # Shoal: {"tcp_1000MB": {...}, "tls_1000MB": {...}}; Dask (TCP only): {"results": {"1000MB": {...}}}.
        def rate(v):
            return (v["MB_per_s_median"], True, f"{num(v['MB_per_s_median'])} MB/s")
        for k, v in res.items():
            if isinstance(v, dict) and "MB_per_s_median" in v:
                scheme, _, size = k.partition("_")
                out[size if scheme == "tcp" else f"{size} {scheme}"] = rate(v)
        for k, v in (res.get("results") or {}).items():
            if isinstance(v, dict) and "MB_per_s_median" in v:
                out[k] = rate(v)
                out[f"{k} tls"] = rate(v)  # no TLS run on Dask's side: its TCP figure is the yardstick
        return out
    # Startup-like results: top-level summaries {"median": seconds, ...}. Python's own import
    # and interpreter figures have no Shoal counterpart and are left out.
    for k, v in res.items():
        if isinstance(v, dict) and "median" in v and k.endswith("_s"):
            if "python" in k or "import" in k or (bench == "startup" and k == "process_s"):
                continue
            m = v["median"]
            out[k] = (m, False, (f"{m * 1e3:,.1f} ms" if m < 0.01 else f"{m * 1e3:,.0f} ms") if m < 10 else f"{num(m, 2)} s")
    # Throughput- and pi-like results: "results": {case: {...}}.
    for k, v in (res.get("results") or {}).items():
        if not isinstance(v, dict):
            continue
        if "tasks_per_s_median" in v:
            us = v.get("us_per_task_median")
            out[k] = (v["tasks_per_s_median"], True,
                      f"{num(v['tasks_per_s_median'])} tasks/s" + (f" ({num(us, 1)} µs/task)" if us is not None else ""))
        elif "samples_per_s_median" in v:
            out[k] = (v["samples_per_s_median"], True, f"{v['samples_per_s_median'] / 1e6:,.1f} M samples/s")
        elif "s_median" in v:
            text = f"{num(v['s_median'], 3)} s"
            if "executions" in v:  # resilience: what ran, and when the killed worker was back
                back = [b for b in v.get("worker_back_after_kill_s") or [] if b is not None]
                text += f"; executions {'/'.join(str(e) for e in v['executions'])}"
                if back:
                    text += f"; back after {'/'.join(f'{b:.3f}' for b in back)} s"
            out[k] = (v["s_median"], False, text)
        else:
            out[k] = (None, True, ", ".join(f"{a}={b}" for a, b in v.items() if isinstance(b, (int, float))))
    # Flat results with a rate (mapreduce): the warm rate, the first run on a fresh cluster.
    if "slowdown_median" in res:  # resilience: the disturbed run over the undisturbed one
        out["slowdown"] = (None, True, f"{res['slowdown_median']}×"
                           + (f" (gather under way: {res['slowdown_streaming_median']}×)" if "slowdown_streaming_median" in res else ""))
    if "tasks_per_s_median" in res and "s_median" in res:
        out["flow"] = (res["tasks_per_s_median"], True, f"{num(res['tasks_per_s_median'])} tasks/s ({num(res['s_median'], 3)} s)")
        if "cold_s" in res:
            out["cold_s"] = (res["cold_s"], False, f"{num(res['cold_s'], 3)} s")
    # Anything else (e.g. scheduler-cpu): its top-level numbers, shown as they are.
    if not out:
        skip = {"workers", "threads", "reps"}
        flat = [f"{a}={b}" for a, b in res.items() if isinstance(b, (int, float)) and not isinstance(b, bool) and a not in skip]
        if flat:
            out["figures"] = (None, True, ", ".join(flat))
        # Nested groups of numbers (scheduler-cpu's "map" and "tree"): one row each.
        # A group that says its CPU per task is compared by it (lower is better).
        for a, b in res.items():
            if isinstance(b, dict) and b and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in b.values()):
                out[a] = (b.get("cpu_us_per_task"), False, ", ".join(f"{k}={v}" for k, v in b.items()))
    return out
