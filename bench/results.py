#!/usr/bin/env python3
"""results.py: docs/results.md, every results table, from one raw results file.

Reads the raw Go benchmark output of one measurement (bench/peers/run's raw file:
every benchmark of ./bench and the Python peers, interleaved rounds), takes each
benchmark's median over its samples (as benchstat does; the reader is
bench/peers/table.py's), and writes one markdown document: the machine the file
names (its command line, date, kernel, CPU, core count, and the cross-core round
trips probed beside the samples), ringloop beside the peers, CallSoonThreadsafe by
inbox and producers, wakeup latency, tasks, groups, and every target graded
(bench/targets.py). A second file, if given with -loadgen, is quoted whole (loadgen's
own costs, which are not go test benchmarks).

Usage:
  bench/results.py RAWFILE [-loadgen FILE] [-o OUT]     (default OUT: stdout)

The README's results section is generated so:
  bench/results.py bench/results/final-2026-11-25.raw.txt \\
      -loadgen bench/results/final-2026-11-25.loadgen.txt -o docs/results.md

Standard library only.
"""

import contextlib
import io
import os
import re
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "peers"))
sys.path.insert(0, HERE)
import table  # noqa: E402
import targets  # noqa: E402
from table import fmt_ns  # noqa: E402

PRODUCERS = (1, 2, 4, 8)
INBOXES = ("mpsc", "mpsc-cas", "mutex", "chan", "xsync", "xsync4")
WAKEUPS = ("chan-yield", "chan", "eventfd", "futex", "chan-yield-spin50us")
CORO = ("coro", "coro-nopool", "goroutine")


def machine(path):
    """What the raw file says about where and how it was measured."""
    command, stamp, cpu, goos, goarch = "", "", "", "", ""
    xcore = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("# ") and not command:
                command = line[2:]
            elif line.startswith("# ") and not stamp:
                stamp = line[2:]
            elif line.startswith("cpu:") and not cpu:
                cpu = line[4:].strip()
            elif line.startswith("goos:") and not goos:
                goos = line[5:].strip()
            elif line.startswith("goarch:") and not goarch:
                goarch = line[7:].strip()
            m = re.search(r"([0-9.e+]+) xcore-ns", line)
            if m:
                xcore.append(float(m.group(1)))
    return command, stamp, cpu, goos, goarch, xcore


def main(argv):
    raw, loadgen, out = None, None, None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-loadgen", "-o") and i + 1 < len(argv):
            if a == "-loadgen":
                loadgen = argv[i + 1]
            else:
                out = argv[i + 1]
            i += 2
            continue
        if a.startswith("-") or raw is not None:
            print("usage: bench/results.py RAWFILE [-loadgen FILE] [-o OUT]", file=sys.stderr)
            return 2
        raw = a
        i += 1
    if raw is None:
        print("usage: bench/results.py RAWFILE [-loadgen FILE] [-o OUT]", file=sys.stderr)
        return 2
    text = render(raw, loadgen)
    if out:
        with open(out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


def render(raw, loadgen):
    med = table.read([raw])

    def get(name, unit="ns/op"):
        v = med.get((name, unit))
        return v[0] if v else None

    def ns(name, unit="ns/op"):
        return fmt_ns(get(name, unit))

    command, stamp, cpu, goos, goarch, xcore = machine(raw)
    rel = os.path.relpath(raw, os.path.join(HERE, ".."))
    o = io.StringIO()
    w = lambda s="": print(s, file=o)  # noqa: E731

    w("# Results")
    w()
    w("Generated from `%s` by" % rel)
    w()
    w("    bench/results.py %s%s -o docs/results.md" % (rel, " -loadgen " + os.path.relpath(loadgen, os.path.join(HERE, "..")) if loadgen else ""))
    w()
    w("Do not edit by hand: measure again and regenerate. Every figure is the median of the")
    w("samples in the file; every ratio is between two benchmarks measured in the same")
    w("interleaved rounds. Absolute numbers hold for this machine only.")
    w()
    w("## The machine and the run")
    w()
    w("| | |")
    w("|---|---|")
    w("| CPU | %s |" % (cpu or "not recorded"))
    w("| platform | %s/%s; %s |" % (goos, goarch, stamp or "not recorded"))
    w("| command | `%s` |" % (command or "not recorded"))
    if xcore:
        near = sum(1 for x in xcore if x < 300)
        w("| cross-core round trip (`xcore-ns`) | median %.0f ns over %d probes, %d of them below 300 ns (near placement) |"
          % (statistics.median(xcore), len(xcore), near))
    w()

    # The peers table and the group table, as bench/peers/table.py prints them.
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        table.main([raw])
    parts = buf.getvalue().strip().split("\n\n")
    w("## ringloop beside asyncio, uvloop and goja")
    w()
    w("The same workloads in Go (`bench/`) and in Python (`bench/peers/peers.py`). \"best\" is")
    w("the fastest ringloop variant, \"default\" the default configuration; ratios are the peer")
    w("over ringloop's best. The goja column is `github.com/dop251/goja_nodejs/eventloop`.")
    w()
    w(parts[0])
    w()

    w("## CallSoonThreadsafe: ns per callback, submit to run, by inbox and producers")
    w()
    w("`BenchmarkCallSoonThreadsafe/variant=V/producers=P` beside the floors, and the queue")
    w("alone (`BenchmarkInbox`: one consumer draining, no loop).")
    w()
    w("| inbox variant | " + " | ".join("P=%d" % p for p in PRODUCERS) + " | queue alone P=1 / P=4 |")
    w("|---|" + "---|" * (len(PRODUCERS) + 1))
    for op, label in (("xadd", "atomic add (XADD) on one word"), ("cas", "CAS-increment on one word")):
        w("| *floor: %s* | %s | |" % (label, " | ".join(ns("Floor/op=%s/producers=%d" % (op, p)) for p in PRODUCERS)))
    for v in INBOXES + ("goja",):
        cells = " | ".join(ns("CallSoonThreadsafe/variant=%s/producers=%d" % (v, p)) for p in PRODUCERS)
        alone = "%s / %s" % (ns("Inbox/variant=%s/producers=1" % v), ns("Inbox/variant=%s/producers=4" % v))
        if alone == "- / -":
            alone = "-"
        w("| %s | %s | %s |" % (v + (" (default)" if v == INBOXES[0] else ""), cells, alone))
    w()

    w("## Wakeup latency of an idle loop, with the waker blocking or running on")
    w()
    w("`BenchmarkWakeup/variant=W/thread=T/waker=K` and the bare mechanisms")
    w("(`BenchmarkFloor/op=wake/mech=M`). Idle CPU is the loop's while it waits (waker blocks).")
    w()
    w("| wakeup variant / thread | waker blocks p50 | p99 | waker runs p50 | p99 | idle CPU % |")
    w("|---|---|---|---|---|---|")
    for m in WAKEUPS[:4]:
        cells = []
        for k in ("blocks", "runs"):
            for q in ("p50-ns", "p99-ns"):
                cells.append(ns("Floor/op=wake/mech=%s/waker=%s" % (m, k), q))
        w("| *bare %s (Floor/op=wake)* | %s | |" % (m, " | ".join(cells)))
    for v in WAKEUPS:
        for t in ("unlocked", "locked"):
            base = "Wakeup/variant=%s/thread=%s/waker=" % (v, t)
            cells = [ns(base + k, q) for k in ("blocks", "runs") for q in ("p50-ns", "p99-ns")]
            idle = get(base + "blocks", "idle-cpu-pct")
            label = "%s / %s%s" % (v, t, " (default)" if (v, t) == (WAKEUPS[0], "unlocked") else "")
            w("| %s | %s | %s |" % (label, " | ".join(cells), "-" if idle is None else "%.2f" % idle))
    w()

    w("## Tasks: coroutines on the loop")
    w()
    w("`BenchmarkTask/op=O/coro=V`, ns per op; `callback` is the same work written as plain")
    w("loop callbacks, to show what the coroutine itself costs. The last row is")
    w("`BenchmarkTaskLocked`: the loop locked to its OS thread.")
    w()
    w("| task op | " + " | ".join(c + (" (default)" if c == CORO[0] else "") for c in CORO) +
      " | callback (no coroutine) | allocs/op (coro) |")
    w("|---|" + "---|" * (len(CORO) + 2))
    for op in ("await-done", "await-pending", "spawn", "sleep0"):
        cells = [ns("Task/op=%s/coro=%s" % (op, c)) for c in CORO]
        allocs = get("Task/op=%s/coro=coro" % op, "allocs/op")
        w("| %s | %s | %s | %s |" % (op, " | ".join(cells), ns("Task/op=%s/coro=callback" % op),
                                     "-" if allocs is None else "%g" % allocs))
    w("| await-pending, loop locked to its thread | %s | | |"
      % " | ".join(ns("TaskLocked/op=await-pending/coro=%s" % c) for c in CORO))
    w("| *floor: coroutine switch there and back* | %s | | | | |" % ns("Floor/op=coroswitch"))
    w()

    if len(parts) > 1:
        w("## Groups: one pinned loop per CPU")
        w()
        w("`BenchmarkGroup/loops=N/route=R/work=W/thread=T`, ns per callback across the group")
        w("(throughput = 1/ns); \"xN vs 1\" is the throughput of N loops over one loop.")
        w()
        w(parts[1])
        w()

    w("## Running loop")
    w()
    w("| `BenchmarkRunningLoop` where | ns/op |")
    w("|---|---|")
    for where in ("inloop", "callback", "outside"):
        w("| %s | %s |" % (where, ns("RunningLoop/where=" + where)))
    w("| *floor: a bare call* | %s |" % ns("Floor/op=call"))
    w()

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        targets.main([raw])
    w("## Targets")
    w()
    w("Every benchmark target the project set itself, graded from this file by")
    w("`bench/targets.py`.")
    w()
    w(buf.getvalue().rstrip())
    w()

    if loadgen:
        w("## loadgen's own costs")
        w()
        w("Measured right after the benchmark run, on the same machine (`%s`):"
          % os.path.relpath(loadgen, os.path.join(HERE, "..")))
        w()
        with open(loadgen) as f:
            w("```")
            w(f.read().rstrip())
            w("```")
    return o.getvalue()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
