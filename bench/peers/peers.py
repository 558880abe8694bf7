#!/usr/bin/env python3
"""peers.py: ringloop's workloads on CPython asyncio and on uvloop.

Runs the same workloads as the Go benchmarks in bench/ and prints them in Go's
benchmark format, so one benchstat table holds Go and Python side by side:

    goos: linux
    goarch: amd64
    pkg: github.com/ringloop/ringloop/bench
    cpu: Intel(R) Xeon(R) Processor
    BenchmarkPeer/runtime=uvloop/workload=call_soon_threadsafe/threads=4  N  X ns/op

The header keys match `go test -bench` output for package bench, so benchstat
puts these rows in the same table as the Go rows (benchstat splits tables by
file-level keys).

Workloads (each mirrors a Go benchmark; "op" is what ns/op divides by):

  call_soon                      BenchmarkCallSoon: a callback on the loop schedules
                                 call_soon(cb) in batches of 1024; op = one callback run.
  call_soon_threadsafe/threads=T BenchmarkCallSoonThreadsafe/producers=T: T threads
                                 each call call_soon_threadsafe(cb) N/T times; op = one
                                 callback, from the first submit to the last callback run.
  future_roundtrip/callbacks=K   BenchmarkFuture/op=roundtrip/callbacks=K: create a
                                 future, add K done callbacks, set_result, run the loop
                                 until they ran (the last callback starts the next op).
  future_cross_thread            BenchmarkFuture/op=cross-goroutine: the loop creates
                                 futures (in chunks of 1024) with one callback each, a
                                 worker thread completes them with
                                 call_soon_threadsafe(fut.set_result); op = one future.
  task_await_pending             BenchmarkTask/op=await-pending: in one task,
                                 f = create_future(); call_soon(f.set_result); await f.
  task_spawn                     BenchmarkTask/op=spawn: a parent task creates
                                 trivial tasks in batches of 256 and awaits the last
                                 of each batch; op = one spawned task.
  sleep0                         BenchmarkTask/op=sleep0: await asyncio.sleep(0).
  timers/pending=N               BenchmarkTimers/pending=N: N timers pending an hour
                                 away; each op is call_later(0, cb) and its firing, in
                                 batches of 1024 (a heap push and pop with N pending).
  timers/op=cancel-heavy         BenchmarkTimers/op=cancel-heavy: rounds of 1e6
                                 call_later timers (1e4 with -quick) due within 1 ms,
                                 9 in 10 cancelled right after call_later, the rest
                                 fire; op = one scheduled timer.
  wakeup/waker=blocks            BenchmarkWakeup/waker=blocks: the loop is idle; a
                                 thread calls call_soon_threadsafe(cb) and blocks until
                                 cb ran; latency from the call to cb, reported as
                                 p50-ns, p99-ns, p999-ns (ns/op is the mean).

Usage: peers.py [-quick] [-benchtime SECONDS] [-runtimes asyncio,uvloop]
                [-run REGEXP] [-count N] [-pkg IMPORTPATH]

uvloop is optional: when it cannot be imported, peers.py says so on stderr and
prints only the asyncio rows. Debian's python3-uvloop installs it for
/usr/bin/python3 (not for a pyenv python3 earlier in PATH): run this script
with /usr/bin/python3. Standard library only otherwise.
"""

import argparse
import asyncio
import gc
import os
import platform
import re
import sys
import threading
import time

PKG_DEFAULT = "github.com/ringloop/ringloop/bench"
BATCH = 1024  # call_soon / timer batch size; bounds the ready queue and the heap
NOW = time.perf_counter_ns


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def goarch():
    m = platform.machine().lower()
    return {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(m, m)


# ---------------------------------------------------------------------------
# Workloads. Each is an async function run(loop, n, quick) -> (elapsed_ns, extra)
# where extra is a dict of unit -> value reported beside ns/op. Setup that is not
# part of the measured op (pending timers, threads) happens before the clock starts.


async def w_call_soon(loop, n, quick):
    done = loop.create_future()
    left = [n]

    def cb():
        left[0] -= 1
        if left[0] == 0:
            done.set_result(None)

    sched = [n]

    def pump():
        k = min(BATCH, sched[0])
        sched[0] -= k
        cs = loop.call_soon
        for _ in range(k):
            cs(cb)
        if sched[0] > 0:
            cs(pump)

    t0 = NOW()
    loop.call_soon(pump)
    await done
    return NOW() - t0, {}


def make_threadsafe(threads):
    async def w(loop, n, quick):
        done = loop.create_future()
        left = [n]

        def cb():
            left[0] -= 1
            if left[0] == 0:
                done.set_result(None)

        start = threading.Barrier(threads + 1)
        per = [n // threads + (1 if i < n % threads else 0) for i in range(threads)]

        def producer(k):
            cst = loop.call_soon_threadsafe
            start.wait()
            for _ in range(k):
                cst(cb)

        ths = [threading.Thread(target=producer, args=(per[i],)) for i in range(threads)]
        for t in ths:
            t.start()
        t0 = NOW()
        start.wait()
        await done
        el = NOW() - t0
        for t in ths:
            t.join()
        return el, {}

    return w


def make_roundtrip(k):
    async def w(loop, n, quick):
        done = loop.create_future()
        left = [n]

        def noop(f):
            pass

        def step(f=None):
            if left[0] == 0:
                done.set_result(None)
                return
            left[0] -= 1
            fut = loop.create_future()
            for _ in range(k - 1):
                fut.add_done_callback(noop)
            fut.add_done_callback(step)  # the last callback starts the next op
            fut.set_result(None)

        t0 = NOW()
        step()
        await done
        return NOW() - t0, {}

    return w


async def w_future_cross_thread(loop, n, quick):
    import queue

    done = loop.create_future()
    work = queue.SimpleQueue()
    state = {"left": n, "chunk_left": 0}

    def cb(f):
        state["left"] -= 1
        state["chunk_left"] -= 1
        if state["left"] == 0:
            done.set_result(None)
        elif state["chunk_left"] == 0:
            send_chunk()

    def send_chunk():
        k = min(BATCH, state["left"])
        state["chunk_left"] = k
        futs = []
        for _ in range(k):
            f = loop.create_future()
            f.add_done_callback(cb)
            futs.append(f)
        work.put(futs)

    def worker():
        cst = loop.call_soon_threadsafe
        while True:
            futs = work.get()
            if futs is None:
                return
            for f in futs:
                cst(f.set_result, None)

    th = threading.Thread(target=worker)
    th.start()
    t0 = NOW()
    send_chunk()
    await done
    el = NOW() - t0
    work.put(None)
    th.join()
    return el, {}


async def w_task_await_pending(loop, n, quick):
    async def body():
        cs = loop.call_soon
        cf = loop.create_future
        for _ in range(n):
            f = cf()
            cs(f.set_result, None)
            await f

    t0 = NOW()
    await loop.create_task(body())
    return NOW() - t0, {}


SPAWN_BATCH = 256  # bench/task_test.go's spawnBatch


async def w_task_spawn(loop, n, quick):
    # As BenchmarkTask/op=spawn: a parent task creates trivial tasks in batches of
    # 256 and awaits the last of each batch (tasks run FIFO, so the whole batch has
    # run by then); op = one spawned task.
    async def trivial():
        return 1

    ct = loop.create_task
    t0 = NOW()
    left = n
    while left > 0:
        k = min(SPAWN_BATCH, left)
        left -= k
        for _ in range(k - 1):
            ct(trivial())
        await ct(trivial())
    return NOW() - t0, {}


async def w_sleep0(loop, n, quick):
    s = asyncio.sleep
    t0 = NOW()
    for _ in range(n):
        await s(0)
    return NOW() - t0, {}


def make_timers(pending):
    far_for = {}

    async def w(loop, n, quick):
        def noop():
            pass

        # The pending timers are set up once per loop (calibration reruns w on the
        # same loop) and never fire: they lie an hour away.
        if far_for.get("loop") is not loop:
            far_for["loop"] = loop
            far_for["far"] = [loop.call_later(3600 + i * 1e-6, noop) for i in range(pending)]
            gc.collect()
        done = loop.create_future()
        left = [n]

        def cb():
            left[0] -= 1
            if left[0] == 0:
                done.set_result(None)
            elif left[0] % BATCH == 0:
                batch()

        def batch():
            cl = loop.call_later
            for _ in range(min(BATCH, left[0])):
                cl(0, cb)

        t0 = NOW()
        batch()
        await done
        return NOW() - t0, {}

    w.release = far_for.clear  # drop the pending handles with their loop
    return w


async def w_cancel_heavy(loop, n, quick):
    # n scheduled timers in rounds of `rnd`; 9 of every 10 cancelled at once.
    rnd = 10_000 if quick else 1_000_000
    total = 0
    left = n
    while left > 0:
        k = min(rnd, left)
        left -= k
        done = loop.create_future()
        fire = [0]
        expect = sum(1 for i in range(k) if i % 10 == 9)

        def cb():
            fire[0] += 1
            if fire[0] == expect:
                done.set_result(None)

        t0 = NOW()
        cl = loop.call_later
        for i in range(k):
            h = cl((i % 1000) * 1e-6, cb)
            if i % 10 != 9:
                h.cancel()
        if expect:
            await done
        total += NOW() - t0
    return total, {}


async def w_wakeup(loop, n, quick):
    # Idle loop woken from a thread that then blocks until the callback ran.
    lat = []
    ran = threading.Event()
    t_sent = [0]

    def cb():
        lat.append(NOW() - t_sent[0])
        ran.set()

    def waker():
        for _ in range(n):
            time.sleep(0.0002)  # let the loop go idle in its selector
            ran.clear()
            t_sent[0] = NOW()
            loop.call_soon_threadsafe(cb)
            ran.wait()

    done = loop.create_future()

    def waker_then_done():
        waker()
        loop.call_soon_threadsafe(done.set_result, None)

    th = threading.Thread(target=waker_then_done)
    t0 = NOW()
    th.start()
    await done
    el = NOW() - t0
    th.join()
    lat.sort()

    def pct(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))]

    return sum(lat), {"p50-ns": pct(0.50), "p99-ns": pct(0.99), "p999-ns": pct(0.999), "_wall": el}


# name -> (factory, fixed_n or None, quick_n)
WORKLOADS = [
    ("workload=call_soon", w_call_soon, None, 20_000),
    ("workload=call_soon_threadsafe/threads=1", make_threadsafe(1), None, 5_000),
    ("workload=call_soon_threadsafe/threads=2", make_threadsafe(2), None, 5_000),
    ("workload=call_soon_threadsafe/threads=4", make_threadsafe(4), None, 5_000),
    ("workload=future_roundtrip/callbacks=1", make_roundtrip(1), None, 5_000),
    ("workload=future_roundtrip/callbacks=2", make_roundtrip(2), None, 5_000),
    ("workload=future_roundtrip/callbacks=3", make_roundtrip(3), None, 5_000),
    ("workload=future_roundtrip/callbacks=8", make_roundtrip(8), None, 5_000),
    ("workload=future_cross_thread", w_future_cross_thread, None, 5_000),
    ("workload=task_await_pending", w_task_await_pending, None, 5_000),
    ("workload=task_spawn", w_task_spawn, None, 5_000),
    ("workload=sleep0", w_sleep0, None, 5_000),
    ("workload=timers/pending=1e3", make_timers(1_000), None, 5_000),
    ("workload=timers/pending=1e5", make_timers(100_000), None, 5_000),
    ("workload=timers/pending=1e6", make_timers(1_000_000), None, 5_000),
    ("workload=timers/op=cancel-heavy", w_cancel_heavy, None, 20_000),
    ("workload=wakeup/waker=blocks", w_wakeup, None, 200),
]
FIXED_N = {"workload=wakeup/waker=blocks": 5_000}  # latency samples: a count, not calibrated


def new_loop(runtime):
    if runtime == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def run_workload(runtime, name, fn, quick, benchtime):
    """Runs fn like testing.B: grow n until one run takes benchtime; a fresh loop per workload."""
    loop = new_loop(runtime)
    try:
        asyncio.set_event_loop(loop)
        if quick:
            n = dict((w[0], w[3]) for w in WORKLOADS)[name]
            el, extra = loop.run_until_complete(fn(loop, n, quick))
            return n, el, extra
        if name in FIXED_N:
            n = FIXED_N[name]
            el, extra = loop.run_until_complete(fn(loop, n, quick))
            return n, el, extra
        n = 100
        target = benchtime * 1e9
        while True:
            el, extra = loop.run_until_complete(fn(loop, n, quick))
            if el >= target or n >= 100_000_000:
                return n, el, extra
            per = max(el / n, 1.0)
            nxt = int(target / per * 1.2)
            n = max(min(nxt, 100 * n), n + 1)
    finally:
        asyncio.set_event_loop(None)
        loop.close()
        for _, f, _, _ in WORKLOADS:
            getattr(f, "release", lambda: None)()


def fmt_val(v):
    if v >= 100:
        return "%.0f" % v
    if v >= 10:
        return "%.1f" % v
    return "%.2f" % v


def main(argv):
    ap = argparse.ArgumentParser(prog="peers.py", description=__doc__.split("\n")[0])
    ap.add_argument("-quick", action="store_true", help="tiny fixed iteration counts (for tests)")
    ap.add_argument("-benchtime", type=float, default=1.0, help="seconds per measurement (default 1)")
    ap.add_argument("-count", type=int, default=1, help="samples per workload (default 1)")
    ap.add_argument("-runtimes", default="asyncio,uvloop", help="comma list of asyncio,uvloop")
    ap.add_argument("-run", default="", help="only workloads whose name matches this regexp")
    ap.add_argument("-pkg", default=PKG_DEFAULT, help="pkg: header value (match the Go run's)")
    args = ap.parse_args(argv)

    if args.benchtime <= 0:
        ap.error("-benchtime %r: must be > 0 seconds" % args.benchtime)
    if args.count < 1:
        ap.error("-count %r: must be >= 1" % args.count)
    runtimes = [r for r in args.runtimes.split(",") if r]
    for r in runtimes:
        if r not in ("asyncio", "uvloop"):
            ap.error("-runtimes: unknown runtime %r; accepted: asyncio, uvloop" % r)
    try:
        pat = re.compile(args.run)
    except re.error as e:
        ap.error("-run %r: bad regexp: %s" % (args.run, e))

    if "uvloop" in runtimes:
        try:
            import uvloop

            print("peers: uvloop %s on %s %s (%s)" % (uvloop.__version__, platform.python_implementation(),
                  platform.python_version(), sys.executable), file=sys.stderr)
        except ImportError:
            print("peers: uvloop is NOT installed for %s (%s); skipping the uvloop rows. "
                  "On Debian: apt-get install python3-uvloop and run with /usr/bin/python3."
                  % (sys.executable, platform.python_version()), file=sys.stderr)
            runtimes.remove("uvloop")
    print("peers: asyncio on %s %s (%s)" % (platform.python_implementation(), platform.python_version(),
          sys.executable), file=sys.stderr)
    if args.quick:
        print("peers: -quick: fixed tiny counts, cancel-heavy rounds of 1e4; numbers are not measurements",
              file=sys.stderr)

    out = sys.stdout
    out.write("goos: %s\n" % sys.platform.replace("linux2", "linux"))
    out.write("goarch: %s\n" % goarch())
    out.write("pkg: %s\n" % args.pkg)
    out.write("cpu: %s\n" % cpu_model())
    out.flush()
    for _ in range(args.count):
        for runtime in runtimes:
            for name, fn, _, _ in WORKLOADS:
                if not pat.search(name):
                    continue
                gc.collect()
                n, el, extra = run_workload(runtime, name, fn, args.quick, args.benchtime)
                line = "BenchmarkPeer/runtime=%s/%s\t%d\t%s ns/op" % (runtime, name, n, fmt_val(el / n))
                for unit, v in extra.items():
                    if not unit.startswith("_"):
                        line += "\t%s %s" % (fmt_val(v), unit)
                out.write(line + "\n")
                out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
