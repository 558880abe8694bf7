// Package peers holds the peers of ringloop's benchmarks: peers.py runs the
// workloads of bench/ on CPython asyncio and on uvloop, peers.js runs the
// single-thread ones on Node (V8 + libuv), both printing Go's benchmark format,
// and run (bash) runs the Go benchmarks and the peers in one sitting and prints
// one benchstat table. The Go code here is only the test that checks the peer
// scripts' output parses and is complete.
package peers
