package bench_test

import "testing"

// floorCase is one BenchmarkFloor sub-benchmark. Files in this package
// register their own floors (op=call, op=heap/pending=N, op=wake/mech=M,
// op=coroswitch, ...) from init() with registerFloor.
type floorCase struct {
	name string // key=value path below BenchmarkFloor, e.g. "op=call"
	run  func(b *testing.B)
}

// floorCases is appended to only from init() functions; BenchmarkFloor reads it.
var floorCases []floorCase

// registerFloor adds a sub-benchmark to BenchmarkFloor. Call it from init().
func registerFloor(name string, run func(b *testing.B)) {
	floorCases = append(floorCases, floorCase{name: name, run: run})
}

// BenchmarkFloor runs the floors every other benchmark is compared with:
// first this file's own (op=cas, op=xadd, op=pingpong), then every
// registered case in registration order.
func BenchmarkFloor(b *testing.B) {
	for _, c := range floorCases {
		b.Run(c.name, c.run)
	}
}
