// Package bench holds the benchmark suites that measure every ringloop variant
// beside the floors they are judged against.
//
// The suites live in external test files (package bench_test): the floors
// (BenchmarkFloor: the bare atomic, the cache-line ping-pong, and the ops other
// packages register), the inbox queues (BenchmarkInbox), and the scheduler
// workloads. Sub-benchmarks are named key=value
// (BenchmarkInbox/variant=mpsc/producers=4) so benchstat groups them.
//
// The package itself holds the workloads cmd/loadgen runs (Workloads; `loadgen
// list` prints them), each with the variants it runs on. The first thing a user does is run a suite interleaved:
//
//	bench/run -bench 'Floor/op=xadd|CallSoonThreadsafe' -n 10 -benchtime 200ms ./bench
//
// Run them interleaved, not back to back: the 2-vCPU VMs this project is
// measured on drift between near and far core placement every few seconds.
// bench/run runs many processes of -count=1 and feeds all of them to
// benchstat; every inbox sample carries the cross-core round trip measured
// beside it (xcore-ns) so a reader can split samples by placement.
package bench
