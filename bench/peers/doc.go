// Package peers holds the Python peers of ringloop's benchmarks: peers.py runs
// the workloads of bench/ on CPython asyncio and on uvloop and prints them in
// Go's benchmark format, and run (bash) runs the Go benchmarks and the Python
// peers in one sitting and prints one benchstat table. The Go code here is only
// the test that checks peers.py's output parses and is complete.
package peers
