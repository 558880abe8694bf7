#!/usr/bin/env python3
"""table.py: the peers table (markdown) from raw benchmark lines.

Reads Go benchmark output (go test -bench, peers.py, bench/peers/run's raw
file), takes the median of every benchmark's samples, and prints one row per
peer workload: ringloop's best variant and its default, goja, CPython asyncio,
uvloop, Node (peers.js), and the ratios peer / ringloop-best ("x faster"); then, when the input
holds BenchmarkGroup lines, the group's throughput at N loops relative to 1; then, when it
holds CallSoonThreadsafe lines, the inboxes' ratios per producer count; then the lock-free
path's targets. The last two are medians of per-round ratios (first and third quartiles in
brackets): each ratio divides two benchmarks of the same round, so a round measured in a
slow placement of the VM's vCPUs moves both sides (a round is one pass of the Go benchmarks
and the peers that follow it, as bench/peers/run interleaves them; a name seen again starts
the next round).

Usage: table.py FILE...

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


def read_rounds(files):
    """Per-round samples: a list of {(name, unit): value}, in file order."""
    rounds = []
    cur = None
    for fn in files:
        with open(fn) as f:
            for line in f:
                m = LINE.match(line.strip())
                if not m:
                    continue
                name, rest = m.group(1), m.group(3).split()
                vals = {}
                for i in range(0, len(rest) - 1, 2):
                    try:
                        vals[rest[i + 1]] = float(rest[i])
                    except ValueError:
                        pass
                if cur is None or any((name, u) in cur for u in vals):
                    cur = {}
                    rounds.append(cur)
                for u, v in vals.items():
                    cur[(name, u)] = v
    return rounds


def quartiles(xs):
    """median, first and third quartile (the samples' own values, nearest rank)."""
    xs = sorted(xs)
    n = len(xs)
    return statistics.median(xs), xs[(n - 1) // 4], xs[(3 * n - 1) // 4 if n > 1 else 0]


def round_ratios(rounds, num, den, num_unit="ns/op", den_unit="ns/op"):
    """The per-round ratios num/den over the rounds that hold both."""
    out = []
    for r in rounds:
        a, b = r.get((num, num_unit)), r.get((den, den_unit))
        if a is not None and b:
            out.append(a / b)
    return out


def fmt_q(xs):
    if not xs:
        return "-"
    m, q1, q3 = quartiles(xs)
    return "%.2f [%.2f-%.2f]" % (m, q1, q3)


def inbox_table(rounds):
    """CallSoonThreadsafe in the loop: the default inbox against the mutex and xsync4 ones."""
    ps = sorted({int(n.rsplit("=", 1)[1]) for r in rounds for (n, u) in r
                 if n.startswith("CallSoonThreadsafe/variant=mpsc/producers=")})
    if not ps:
        return
    print()
    print("| producers | mpsc / mutex, wall | mpsc / mutex, CPU | mpsc / xsync4, wall | mpsc / xsync4, CPU "
          "| mpsc-seq / mutex, wall |")
    print("|---|---|---|---|---|---|")
    for p in ps:
        name = "CallSoonThreadsafe/variant=%s/producers=%d"
        cells = [fmt_q(round_ratios(rounds, name % ("mpsc", p), name % (other, p), unit, unit))
                 for other, unit in (("mutex", "ns/op"), ("mutex", "cpu-ns/op"), ("xsync4", "ns/op"),
                                     ("xsync4", "cpu-ns/op"))]
        cells.append(fmt_q(round_ratios(rounds, name % ("mpsc-seq", p), name % ("mutex", p))))
        print("| %d | %s |" % (p, " | ".join(cells)))


# The lock-free path's targets: (what, numerator, denominator, bound, "<=" or ">=").
# Every ratio is per round (see the module doc); ns/op throughout (peers report wall time).
TARGETS = [
    ("CallSoonThreadsafe mpsc / mutex, 1 producer", "CallSoonThreadsafe/variant=mpsc/producers=1",
     "CallSoonThreadsafe/variant=mutex/producers=1", 1.0, "<="),
] + [
    ("CallSoonThreadsafe mpsc / mutex, %d producers" % p, "CallSoonThreadsafe/variant=mpsc/producers=%d" % p,
     "CallSoonThreadsafe/variant=mutex/producers=%d" % p, 0.8, "<=") for p in (2, 4, 8)
] + [
    ("CallSoonThreadsafe mpsc / xsync4, %d producer%s" % (p, "s" if p > 1 else ""),
     "CallSoonThreadsafe/variant=mpsc/producers=%d" % p, "CallSoonThreadsafe/variant=xsync4/producers=%d" % p,
     0.6, "<=") for p in (1, 2, 4, 8)
] + [
    ("Inbox mpsc / xsync4, 1 producer", "Inbox/variant=mpsc/producers=1", "Inbox/variant=xsync4/producers=1", 0.9, "<="),
    ("Inbox mpsc / xsync4, 4 producers", "Inbox/variant=mpsc/producers=4", "Inbox/variant=xsync4/producers=4", 0.9, "<="),
    ("Inbox mpsc / Floor xadd, 4 producers", "Inbox/variant=mpsc/producers=4", "Floor/op=xadd/producers=4", 3.0, "<="),
    ("CallSoon (Post) / Floor call", "CallSoon/variant=mpsc", "Floor/op=call", 3.0, "<="),
    ("Future round trip, 1 callback, unpooled / Node Promise + then", "Future/op=roundtrip/callbacks=1",
     "Peer/runtime=node/workload=future_roundtrip/callbacks=1", 1.0, "<="),
    ("uvloop / ringloop, timers with 1e5 pending", "Peer/runtime=uvloop/workload=timers/pending=1e5",
     "Timers/pending=1e5", 10.0, ">="),
    ("uvloop / ringloop, task spawn", "Peer/runtime=uvloop/workload=task_spawn", "Task/op=spawn/coro=coro", 8.0, ">="),
    ("Task await-pending / Floor coroswitch", "Task/op=await-pending/coro=coro", "Floor/op=coroswitch", 3.0, "<="),
    # Context, not targets (bound None): what the misses are measured against.
    ("(context) Floor: allocating one Future / Node Promise + then", "Floor/op=alloc/type=future",
     "Peer/runtime=node/workload=future_roundtrip/callbacks=1", None, ""),
    ("(context) Future round trip, 1 callback, pooled / Node Promise + then", "Future/op=roundtrip-pooled/callbacks=1",
     "Peer/runtime=node/workload=future_roundtrip/callbacks=1", None, ""),
    ("(context) Task spawn, callback form / Floor coroswitch", "Task/op=spawn/coro=callback", "Floor/op=coroswitch",
     None, ""),
    ("(context) Task await-pending, callback form / Floor coroswitch", "Task/op=await-pending/coro=callback",
     "Floor/op=coroswitch", None, ""),
]


def targets_table(rounds):
    rows = []
    for what, num, den, bound, op in TARGETS:
        xs = round_ratios(rounds, num, den)
        if not xs:
            continue
        m = quartiles(xs)[0]
        if bound is None:
            rows.append("| %s | %s | - | - | %d |" % (what, fmt_q(xs), len(xs)))
            continue
        ok = m <= bound if op == "<=" else m >= bound
        rows.append("| %s | %s | %s %.1f | %s | %d |" % (what, fmt_q(xs), op, bound, "met" if ok else "missed", len(xs)))
    if not rows:
        return
    print()
    print("| target | median per-round ratio [q1-q3] | bound | verdict | rounds |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(r)


def read(files):
    """Every benchmark's median over all its samples: {(name, unit): (median, samples)}."""
    samples = defaultdict(list)  # (name, unit) -> values
    for r in read_rounds(files):
        for k, v in r.items():
            samples[k].append(v)
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
    rounds = read_rounds(files)
    inbox_table(rounds)
    targets_table(rounds)
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
