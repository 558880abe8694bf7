#!/usr/bin/env python3
"""table.py: the peers table (markdown) from raw benchmark lines.

Reads Go benchmark output (go test -bench, peers.py, bench/peers/run's raw
file), takes the median of every benchmark's samples, and prints one row per
peer workload: ringloop's best variant and its default, goja, CPython asyncio,
uvloop, Node (peers.js), and the ratios peer / ringloop-best ("x faster"); then, when the input
holds BenchmarkGroup lines, the group's throughput at N loops relative to 1.

Usage: table.py FILE... [-md]

Go benchmark names are matched per workload by the regexps in ROWS below; the
"default" regexp picks ringloop's default configuration among them (sched's
DefaultInbox "mpsc", DefaultWakeup "chan-yield", the first coro variant "coro").
A cell with no data prints "-". Standard library only.
"""

import re
import statistics
import sys
from collections import defaultdict

LINE = re.compile(r"^Benchmark(\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$")

# (peer workload, unit, Go regexp, default regexp, goja regexp)
ROWS = [
    ("call_soon", "ns/op", r"^CallSoon/variant=(?!goja)", r"^CallSoon/variant=mpsc$", None),
    ("call_soon_threadsafe/threads=1", "ns/op", r"^CallSoonThreadsafe/variant=(?!goja)[^/]+/producers=1$",
     r"variant=mpsc/", r"^CallSoonThreadsafe/variant=goja/producers=1$"),
    ("call_soon_threadsafe/threads=2", "ns/op", r"^CallSoonThreadsafe/variant=(?!goja)[^/]+/producers=2$",
     r"variant=mpsc/", r"^CallSoonThreadsafe/variant=goja/producers=2$"),
    ("call_soon_threadsafe/threads=4", "ns/op", r"^CallSoonThreadsafe/variant=(?!goja)[^/]+/producers=4$",
     r"variant=mpsc/", r"^CallSoonThreadsafe/variant=goja/producers=4$"),
    ("future_roundtrip/callbacks=1", "ns/op", r"^Future/op=roundtrip/callbacks=1$", r".", None),
    ("future_roundtrip/callbacks=2", "ns/op", r"^Future/op=roundtrip/callbacks=2$", r".", None),
    ("future_roundtrip/callbacks=3", "ns/op", r"^Future/op=roundtrip/callbacks=3$", r".", None),
    ("future_roundtrip/callbacks=8", "ns/op", r"^Future/op=roundtrip/callbacks=8$", r".", None),
    ("future_cross_thread", "ns/op", r"^Future/op=cross-goroutine$", r".", None),
    ("task_await_pending", "ns/op", r"^Task/op=await-pending/coro=(?!callback)", r"coro=coro$", None),
    ("task_spawn", "ns/op", r"^Task/op=spawn/coro=(?!callback)", r"coro=coro$", None),
    ("sleep0", "ns/op", r"^Task/op=sleep0/coro=(?!callback)", r"coro=coro$", None),
    ("timers/pending=1e3", "ns/op", r"^Timers/(?!.*variant=goja).*pending=1e3$", r".", r"^Timers/.*variant=goja.*pending=1e3$"),
    ("timers/pending=1e5", "ns/op", r"^Timers/(?!.*variant=goja).*pending=1e5$", r".", r"^Timers/.*variant=goja.*pending=1e5$"),
    ("timers/pending=1e6", "ns/op", r"^Timers/(?!.*variant=goja).*pending=1e6$", r".", r"^Timers/.*variant=goja.*pending=1e6$"),
    ("timers/op=cancel-heavy", "ns/op", r"^Timers/(?!.*variant=goja).*op=cancel-heavy$", r".",
     r"^Timers/.*variant=goja.*op=cancel-heavy$"),
    ("wakeup/waker=blocks p50", "p50-ns", r"^Wakeup/.*waker=blocks$", r"variant=chan-yield/thread=unlocked/", None),
    ("wakeup/waker=blocks p99", "p99-ns", r"^Wakeup/.*waker=blocks$", r"variant=chan-yield/thread=unlocked/", None),
    ("wakeup/waker=blocks p99.9", "p999-ns", r"^Wakeup/.*waker=blocks$", r"variant=chan-yield/thread=unlocked/", None),
]


def read(files):
    samples = defaultdict(list)  # (name, unit) -> values
    for fn in files:
        with open(fn) as f:
            for line in f:
                m = LINE.match(line.strip())
                if not m:
                    continue
                name, rest = m.group(1), m.group(3).split()
                for i in range(0, len(rest) - 1, 2):
                    try:
                        samples[(name, rest[i + 1])].append(float(rest[i]))
                    except ValueError:
                        pass
    return {k: (statistics.median(v), len(v)) for k, v in samples.items()}


def fmt_ns(v):
    if v is None:
        return "-"
    if v >= 1e6:
        return "%.2f ms" % (v / 1e6)
    if v >= 1e3:
        return "%.2f us" % (v / 1e3)
    return "%.1f ns" % v


def ratio(peer, base):
    if peer is None or base is None or base <= 0:
        return "-"
    return "%.1fx" % (peer / base)


def main(argv):
    files = [a for a in argv if not a.startswith("-")]
    if not files:
        print("usage: table.py FILE...", file=sys.stderr)
        return 2
    med = read(files)
    names = defaultdict(dict)  # unit -> name -> (median, n)
    for (name, unit), v in med.items():
        names[unit][name] = v

    print("| workload | ringloop best (variant) | ringloop default | goja | CPython asyncio | uvloop | Node "
          "| uvloop / best | Node / best | goja / best | asyncio / best |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for wl, unit, go_re, def_re, goja_re in ROWS:
        byname = names.get(unit, {})
        go = {n: v for n, v in byname.items() if re.search(go_re, n)}
        best = min(go.items(), key=lambda kv: kv[1][0]) if go else None
        dflt = [v for n, v in go.items() if re.search(def_re, n)]
        dflt = dflt[0][0] if len(dflt) == 1 else None
        goja = [v for n, v in byname.items() if goja_re and re.search(goja_re, n)]
        goja = goja[0][0] if goja else None
        base_wl = wl.split(" ")[0]
        py = {}
        for rt in ("asyncio", "uvloop", "node"):
            v = byname.get("Peer/runtime=%s/workload=%s" % (rt, base_wl))
            py[rt] = v[0] if v else None
        bv = best[1][0] if best else None
        variant = ""
        if best:
            keys = [kv for kv in best[0].split("/") if kv.startswith(("variant=", "coro=", "thread="))]
            variant = " (%s)" % ", ".join(keys) if keys else ""
        print("| %s | %s%s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            wl, fmt_ns(bv), variant, fmt_ns(dflt), fmt_ns(goja), fmt_ns(py["asyncio"]), fmt_ns(py["uvloop"]),
            fmt_ns(py["node"]), ratio(py["uvloop"], bv), ratio(py["node"], bv), ratio(goja, bv),
            ratio(py["asyncio"], bv)))
    group_table(names.get("ns/op", {}))
    return 0


GROUP = re.compile(r"^Group/loops=(\d+)/route=([^/]+)/work=([^/]+)/thread=([^/]+)$")


def group_table(byname):
    """BenchmarkGroup: throughput of N loops relative to 1 loop, per route/work/thread."""
    cells = defaultdict(dict)  # (route, work, thread) -> loops -> median ns/op
    for n, (v, _) in byname.items():
        m = GROUP.match(n)
        if m:
            cells[(m.group(2), m.group(3), m.group(4))][int(m.group(1))] = v
    if not cells:
        return
    loops = sorted({k for c in cells.values() for k in c})
    print()
    print("| BenchmarkGroup route / work / thread | " + " | ".join("loops=%d" % n for n in loops) +
          " | " + " | ".join("x%d vs 1" % n for n in loops if n > 1) + " |")
    print("|---|" + "---|" * (2 * len(loops) - 1))
    for key in sorted(cells):
        c = cells[key]
        row = [fmt_ns(c.get(n)) for n in loops]
        sp = [ratio(c.get(1), c.get(n)) for n in loops if n > 1]  # throughput ratio = t1 / tN
        print("| %s | %s | %s |" % (" / ".join(key), " | ".join(row), " | ".join(sp)))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
