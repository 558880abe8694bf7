#!/usr/bin/env node
// peers.js: ringloop's single-thread workloads on Node (V8 + libuv), the
// peers.py workloads in JavaScript, printed in Go's benchmark format so one
// benchstat table holds Go, Python and Node side by side:
//
//   BenchmarkPeer/runtime=node/workload=call_soon  N  X ns/op
//
// Workloads (each mirrors a Go benchmark and the peers.py workload of the same
// name; "op" is what ns/op divides by):
//
//   call_soon                     setImmediate(cb) in batches of 1024 from a
//                                 setImmediate pump; op = one callback run.
//   future_roundtrip/callbacks=K  new Promise, K .then callbacks, resolve; the
//                                 last callback starts the next op.
//   task_await_pending            in one async function: await a pending
//                                 promise that a setImmediate resolves (asyncio:
//                                 f = create_future(); call_soon(f.set_result); await f).
//   task_spawn                    a parent async function calls trivial async
//                                 functions in batches of 256 and awaits the last
//                                 of each batch; op = one call. (An async call runs
//                                 to its first await at once: no scheduling, unlike
//                                 a Task.)
//   sleep0                        await setImmediate() from timers/promises.
//   timers/pending=N              N timers pending an hour away (distinct
//                                 delays, as peers.py), each op setTimeout(cb, 0)
//                                 and its firing, in batches of 1024. Node clamps
//                                 a 0 delay to 1 ms and keeps one list per
//                                 distinct delay, so a batch waits >= 1 ms and the
//                                 pending timers sit in other lists.
//   timers/op=cancel-heavy        rounds of 1e6 setTimeout timers (delays under
//                                 1 ms, which Node rounds to 1 ms), 9 in 10
//                                 cleared at once, the rest fire; op = one timer.
//
// Not here: call_soon_threadsafe, future_cross_thread and wakeup (a JavaScript
// event loop has no second thread that may schedule on it).
//
// Usage: node peers.js [-quick] [-benchtime SECONDS] [-count N] [-run REGEXP] [-pkg PATH]
// Standard library only. Node 20 (Debian's nodejs) or later.
'use strict';

const os = require('os');
const { setImmediate: setImmediateP } = require('timers/promises');

const BATCH = 1024; // bench/sched_test.go's threadsafeWindow
const SPAWN_BATCH = 256; // bench/task_test.go's spawnBatch
const now = () => process.hrtime.bigint();

function callSoon(n) {
  return new Promise((done) => {
    let left = n;
    let sched = n;
    const cb = () => {
      if (--left === 0) done();
    };
    const pump = () => {
      const k = Math.min(BATCH, sched);
      sched -= k;
      for (let i = 0; i < k; i++) setImmediate(cb);
      if (sched > 0) setImmediate(pump);
    };
    setImmediate(pump);
  });
}

function roundtrip(k) {
  return (n) =>
    new Promise((done) => {
      let left = n;
      const noop = () => {};
      const step = () => {
        if (left === 0) {
          done();
          return;
        }
        left--;
        let resolve;
        const p = new Promise((r) => {
          resolve = r;
        });
        for (let i = 0; i < k - 1; i++) p.then(noop);
        p.then(step); // the last callback starts the next op
        resolve();
      };
      step();
    });
}

async function awaitPending(n) {
  for (let i = 0; i < n; i++) {
    await new Promise((r) => setImmediate(r));
  }
}

async function spawn(n) {
  const trivial = async () => 1;
  let left = n;
  while (left > 0) {
    const k = Math.min(SPAWN_BATCH, left);
    left -= k;
    for (let i = 0; i < k - 1; i++) trivial();
    await trivial();
  }
}

async function sleep0(n) {
  for (let i = 0; i < n; i++) await setImmediateP();
}

function timers(pending) {
  let far = null;
  const w = (n) => {
    if (far === null) {
      // Set up once (calibration reruns w); they never fire: an hour away.
      far = [];
      const noop = () => {};
      for (let i = 0; i < pending; i++) far.push(setTimeout(noop, 3600e3 + i));
    }
    const t0 = now(); // after the setup, as peers.py starts its clock
    return new Promise((done) => {
      let left = n;
      const cb = () => {
        left--;
        if (left === 0) done(now() - t0);
        else if (left % BATCH === 0) batch();
      };
      const batch = () => {
        const k = Math.min(BATCH, left);
        for (let i = 0; i < k; i++) setTimeout(cb, 0);
      };
      batch();
    });
  };
  w.release = () => {
    if (far !== null) for (const t of far) clearTimeout(t);
    far = null;
  };
  return w;
}

function cancelHeavy(quick) {
  return async (n) => {
    const rnd = quick ? 10_000 : 1_000_000;
    let left = n;
    let total = 0n;
    while (left > 0) {
      const k = Math.min(rnd, left);
      left -= k;
      let expect = 0;
      for (let i = 0; i < k; i++) if (i % 10 === 9) expect++;
      let fired = 0;
      let done;
      const all = new Promise((r) => {
        done = r;
      });
      const cb = () => {
        if (++fired === expect) done();
      };
      const t0 = now();
      for (let i = 0; i < k; i++) {
        const h = setTimeout(cb, (i % 1000) * 1e-3);
        if (i % 10 !== 9) clearTimeout(h);
      }
      if (expect) await all;
      total += now() - t0;
    }
    return total;
  };
}

// name -> [factory(quick) -> fn(n), quick n]
const WORKLOADS = [
  ['workload=call_soon', () => callSoon, 20_000],
  ['workload=future_roundtrip/callbacks=1', () => roundtrip(1), 5_000],
  ['workload=future_roundtrip/callbacks=2', () => roundtrip(2), 5_000],
  ['workload=future_roundtrip/callbacks=3', () => roundtrip(3), 5_000],
  ['workload=future_roundtrip/callbacks=8', () => roundtrip(8), 5_000],
  ['workload=task_await_pending', () => awaitPending, 5_000],
  ['workload=task_spawn', () => spawn, 5_000],
  ['workload=sleep0', () => sleep0, 5_000],
  ['workload=timers/pending=1e3', () => timers(1_000), 5_000],
  ['workload=timers/pending=1e5', () => timers(100_000), 5_000],
  ['workload=timers/pending=1e6', () => timers(1_000_000), 5_000],
  ['workload=timers/op=cancel-heavy', (quick) => cancelHeavy(quick), 20_000],
];

// run times fn(n) like testing.B: grow n until one run takes benchtime.
// fn returns a Promise; it may resolve to its own elapsed ns (a BigInt) when
// only part of each run is the measured op (cancel-heavy).
async function run(fn, quickN, benchtime) {
  const once = async (n) => {
    const t0 = now();
    const own = await fn(n);
    return Number(typeof own === 'bigint' ? own : now() - t0);
  };
  if (quickN) return [quickN, await once(quickN)];
  let n = 100;
  const target = benchtime * 1e9;
  for (;;) {
    const el = await once(n);
    if (el >= target || n >= 100_000_000) return [n, el];
    const per = Math.max(el / n, 1);
    n = Math.max(Math.min(Math.floor((target / per) * 1.2), 100 * n), n + 1);
  }
}

function fmt(v) {
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function usage(msg) {
  process.stderr.write(`peers.js: ${msg}\nusage: node peers.js [-quick] [-benchtime SECONDS] [-count N] [-run REGEXP] [-pkg PATH]\n`);
  process.exit(2);
}

async function main(argv) {
  let quick = false;
  let benchtime = 1;
  let count = 1;
  let pat = /(?:)/;
  let pkg = 'github.com/ringloop/ringloop/bench';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '-quick':
        quick = true;
        break;
      case '-benchtime':
        benchtime = Number(val());
        if (!(benchtime > 0)) usage(`-benchtime ${argv[i]}: must be a number of seconds > 0`);
        break;
      case '-count':
        count = Number(val());
        if (!Number.isInteger(count) || count < 1) usage(`-count ${argv[i]}: must be an integer >= 1`);
        break;
      case '-run':
        try {
          pat = new RegExp(val());
        } catch (e) {
          usage(`-run ${argv[i]}: bad regexp: ${e.message}`);
        }
        break;
      case '-pkg':
        pkg = val();
        break;
      default:
        usage(`unknown argument ${a} (accepted: -quick -benchtime -count -run -pkg)`);
    }
  }
  process.stderr.write(`peers: node ${process.version} (V8 ${process.versions.v8}, libuv ${process.versions.uv})\n`);
  if (quick) process.stderr.write('peers: -quick: fixed tiny counts; numbers are not measurements\n');
  const arch = { x64: 'amd64', arm64: 'arm64', ia32: '386' }[process.arch] || process.arch;
  const cpu = (os.cpus()[0] || { model: 'unknown' }).model.trim();
  process.stdout.write(`goos: ${process.platform}\ngoarch: ${arch}\npkg: ${pkg}\ncpu: ${cpu}\n`);
  for (let c = 0; c < count; c++) {
    for (const [name, factory, quickN] of WORKLOADS) {
      if (!pat.test(name)) continue;
      const fn = factory(quick);
      if (global.gc) global.gc();
      const [n, el] = await run(fn, quick ? quickN : 0, benchtime);
      if (fn.release) fn.release();
      process.stdout.write(`BenchmarkPeer/runtime=node/${name}\t${n}\t${fmt(el / n)} ns/op\n`);
    }
  }
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`peers.js: ${e.stack || e}\n`);
  process.exit(1);
});
