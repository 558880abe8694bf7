#!/usr/bin/env python3
"""targets.py: every benchmark target of the project, checked against raw samples.

Reads raw Go benchmark output (bench/run's or bench/peers/run's raw file, which may
hold BenchmarkPeer lines from peers.py too), takes each benchmark's median over its
samples (as benchstat does), and prints one markdown row per target: the measured
medians, the ratio the target is stated in, the bound, and hit or miss. The ratio is
always between two benchmarks measured in the same rounds.

Usage: bench/targets.py RAWFILE...

Standard library only; the reader is bench/peers/table.py's.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers"))
from table import read, fmt_ns  # noqa: E402


def main(argv):
    files = [a for a in argv if not a.startswith("-")]
    if not files:
        print("usage: targets.py RAWFILE...", file=sys.stderr)
        return 2
    med = read(files)

    def get(name, unit="ns/op"):
        v = med.get((name, unit))
        return v[0] if v else None

    rows = []

    def ratio_row(area, what, num, den, bound, le=True, unit="ns/op", num_unit=None, den_unit=None):
        a, b = get(num, num_unit or unit), get(den, den_unit or unit)
        if a is None or b is None or b == 0:
            rows.append((area, what, fmt(a, num_unit or unit), fmt(b, den_unit or unit), "-", bound_s(bound, le), "no data"))
            return
        r = a / b
        ok = r <= bound if le else r >= bound
        rows.append((area, what, fmt(a, num_unit or unit), fmt(b, den_unit or unit), "%.2fx" % r, bound_s(bound, le),
                     "hit" if ok else "MISS"))

    def abs_row(area, what, name, unit, bound, le=True):
        a = get(name, unit)
        ok = a is not None and (a <= bound if le else a >= bound)
        rows.append((area, what, fmt(a, unit), "", "", ("<= " if le else ">= ") + fmt(bound, unit),
                     "no data" if a is None else ("hit" if ok else "MISS")))

    # ringbuf
    for p in (2, 4, 8):
        ratio_row("ringbuf", "Inbox mpsc / Floor xadd, P=%d" % p, "Inbox/variant=mpsc/producers=%d" % p,
                  "Floor/op=xadd/producers=%d" % p, 2.0)
    for p in (1, 2, 4, 8):
        ratio_row("ringbuf", "Inbox mpsc / xsync4, P=%d" % p, "Inbox/variant=mpsc/producers=%d" % p,
                  "Inbox/variant=xsync4/producers=%d" % p, 0.9)
    ratio_row("ringbuf", "Inbox chan / mpsc, P=4", "Inbox/variant=chan/producers=4", "Inbox/variant=mpsc/producers=4", 2.0, le=False)
    ratio_row("ringbuf", "Inbox mutex / mpsc, P=4", "Inbox/variant=mutex/producers=4", "Inbox/variant=mpsc/producers=4", 1.5, le=False)
    for v in ("mpsc", "mpsc-bounded"):
        for p in (1, 2, 4, 8):
            abs_row("ringbuf", "Inbox %s allocs, P=%d" % (v, p), "Inbox/variant=%s/producers=%d" % (v, p), "allocs/op", 0)

    # future
    abs_row("future", "Future round trip, 1 callback", "Future/op=roundtrip/callbacks=1", "ns/op", 50)
    abs_row("future", "Future round trip, 1 callback, allocs", "Future/op=roundtrip/callbacks=1", "allocs/op", 1)
    ratio_row("future", "Future allocs: callbacks=2 / callbacks=1", "Future/op=roundtrip/callbacks=2",
              "Future/op=roundtrip/callbacks=1", 1.0, unit="allocs/op")
    ratio_row("future", "uvloop / ringloop, future round trip (1 cb)", "Peer/runtime=uvloop/workload=future_roundtrip/callbacks=1",
              "Future/op=roundtrip/callbacks=1", 10, le=False)
    ratio_row("future", "uvloop / ringloop, cross-goroutine future", "Peer/runtime=uvloop/workload=future_cross_thread",
              "Future/op=cross-goroutine", 10, le=False)
    # The same with the optional future.Pool (no allocation), and the allocation alone.
    abs_row("future", "Future round trip, 1 callback, pooled", "Future/op=roundtrip-pooled/callbacks=1", "ns/op", 50)
    ratio_row("future", "uvloop / ringloop, future round trip (1 cb), pooled",
              "Peer/runtime=uvloop/workload=future_roundtrip/callbacks=1", "Future/op=roundtrip-pooled/callbacks=1", 10,
              le=False)
    ratio_row("future", "uvloop / ringloop, cross-goroutine future, pooled", "Peer/runtime=uvloop/workload=future_cross_thread",
              "Future/op=cross-goroutine-pooled", 10, le=False)
    a = get("Floor/op=alloc/type=future")
    rows.append(("future", "(context, not a target) Floor: allocating one Future, 112 B", fmt(a, "ns/op"), "", "", "", ""))

    # sched
    ratio_row("sched", "CallSoon (Post) / Floor call", "CallSoon/variant=mpsc", "Floor/op=call", 3.0)
    abs_row("sched", "CallSoon (Post) allocs", "CallSoon/variant=mpsc", "allocs/op", 0)
    for p in (2, 4, 8):
        ratio_row("sched", "CallSoonThreadsafe mpsc / Floor xadd, P=%d" % p, "CallSoonThreadsafe/variant=mpsc/producers=%d" % p,
                  "Floor/op=xadd/producers=%d" % p, 2.5)
    for p in (1, 2, 4, 8):
        ratio_row("sched", "CallSoonThreadsafe mpsc / xsync4, P=%d" % p, "CallSoonThreadsafe/variant=mpsc/producers=%d" % p,
                  "CallSoonThreadsafe/variant=xsync4/producers=%d" % p, 0.9)
    ratio_row("sched", "CallSoonThreadsafe chan / mpsc, P=4", "CallSoonThreadsafe/variant=chan/producers=4",
              "CallSoonThreadsafe/variant=mpsc/producers=4", 2.0, le=False)
    ratio_row("sched", "CallSoonThreadsafe mutex / mpsc, P=4", "CallSoonThreadsafe/variant=mutex/producers=4",
              "CallSoonThreadsafe/variant=mpsc/producers=4", 1.5, le=False)
    for p in (1, 2, 4, 8):
        abs_row("sched", "CallSoonThreadsafe mpsc allocs, P=%d" % p, "CallSoonThreadsafe/variant=mpsc/producers=%d" % p,
                "allocs/op", 0)
    ratio_row("sched", "Timers pending=1e6 / Floor heap pending=1e6", "Timers/pending=1e6", "Floor/op=heap/pending=1e6", 2.0)
    for waker in ("blocks", "runs"):
        for q, unit in (("p50", "p50-ns"), ("p99", "p99-ns")):
            ratio_row("sched", "Wakeup default (chan-yield, unlocked) / bare chan-yield, %s, waker=%s" % (q, waker),
                      "Wakeup/variant=chan-yield/thread=unlocked/waker=%s" % waker,
                      "Floor/op=wake/mech=chan-yield/waker=%s" % waker, 1.5, unit=unit)
    abs_row("sched", "Wakeup default, waker=runs, p99", "Wakeup/variant=chan-yield/thread=unlocked/waker=runs", "p99-ns", 100000)
    for waker in ("blocks", "runs"):
        abs_row("sched", "Wakeup default idle CPU %% (no spin), waker=%s" % waker,
                "Wakeup/variant=chan-yield/thread=unlocked/waker=%s" % waker, "idle-cpu-pct", 1.0)

    # scale and peers
    ratio_row("scale", "uvloop / ringloop, call_soon_threadsafe at 4", "Peer/runtime=uvloop/workload=call_soon_threadsafe/threads=4",
              "CallSoonThreadsafe/variant=mpsc/producers=4", 30, le=False)
    ratio_row("scale", "goja / ringloop, CallSoonThreadsafe at 4", "CallSoonThreadsafe/variant=goja/producers=4",
              "CallSoonThreadsafe/variant=mpsc/producers=4", 3, le=False)
    ratio_row("scale", "uvloop / ringloop, timers pending=1e5", "Peer/runtime=uvloop/workload=timers/pending=1e5",
              "Timers/pending=1e5", 10, le=False)
    for route in ("key", "roundrobin", "leastloaded"):
        for work in ("0", "1us"):
            ratio_row("scale", "Group throughput 2 loops / 1 loop, route=%s work=%s (pinned)" % (route, work),
                      "Group/loops=1/route=%s/work=%s/thread=pinned" % (route, work),
                      "Group/loops=2/route=%s/work=%s/thread=pinned" % (route, work), 1.7, le=False)
    call, load = get("Floor/op=call"), get("Floor/op=xadd/producers=1")
    rl = get("RunningLoop/where=callback")
    if None not in (call, rl):
        budget = 2 * call + 1.0  # one uncontended atomic load: ~1 ns at most (a MOV on amd64)
        rows.append(("scale", "RunningLoop from a callback vs 2x Floor call + one atomic load (1 ns)", fmt(rl, "ns/op"),
                     fmt(budget, "ns/op"), "%.2fx" % (rl / budget), "<= 1.00x", "hit" if rl <= budget else "MISS"))

    # task
    ratio_row("task", "Task await-pending coro / Floor coroswitch", "Task/op=await-pending/coro=coro", "Floor/op=coroswitch", 3.0)
    ratio_row("task", "Task await-pending goroutine / coro", "Task/op=await-pending/coro=goroutine",
              "Task/op=await-pending/coro=coro", 3.0, le=False)
    ratio_row("task", "TaskLocked await-pending goroutine / coro", "TaskLocked/op=await-pending/coro=goroutine",
              "TaskLocked/op=await-pending/coro=coro", 3.0, le=False)
    abs_row("task", "Task await-done allocs (coro)", "Task/op=await-done/coro=coro", "allocs/op", 0)
    ratio_row("task", "uvloop / ringloop, task spawn", "Peer/runtime=uvloop/workload=task_spawn", "Task/op=spawn/coro=coro", 5,
              le=False)

    print("| area | target | measured | against | ratio | bound | result |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %s | %s | %s | %s | %s | %s |" % r)
    return 0


def fmt(v, unit):
    if v is None:
        return "-"
    if unit == "ns/op":
        return fmt_ns(v)
    if unit.endswith("-ns"):
        return fmt_ns(v) + " " + unit[:-3]
    return "%g %s" % (v, unit)


def bound_s(bound, le):
    return ("<= " if le else ">= ") + ("%gx" % bound)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
