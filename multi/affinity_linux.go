//go:build linux

// Linux affinity: sched_setaffinity / sched_getaffinity on the calling thread
// (pid 0 names the calling thread, not the process, for these two calls).

package multi

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// AllowedCPUs returns, in increasing order, the CPUs the calling thread may run
// on (its affinity mask, which a cpuset or container narrows). A Group with no
// explicit CPU list spreads its loops over these. Called on a pinned thread (a
// group loop's callback) it returns that one CPU.
func AllowedCPUs() ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, err
	}
	cpus := make([]int, 0, set.Count())
	for c := 0; c < maxCPU; c++ {
		if set.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}

// pinThread pins the calling OS thread to cpu. See the caller rule in affinity.go.
func pinThread(cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	return unix.SchedSetaffinity(0, &set)
}

// threadCPU returns the CPU the calling thread runs on now (getcpu), for tests.
func threadCPU() (int, error) {
	var cpu, node uint32 // getcpu(2) writes unsigned ints
	_, _, errno := unix.RawSyscall(unix.SYS_GETCPU, uintptr(unsafe.Pointer(&cpu)), uintptr(unsafe.Pointer(&node)), 0)
	if errno != 0 {
		return -1, errno
	}
	return int(cpu), nil
}
