package multi

// CPU affinity for Group: pinning a loop's OS thread to one CPU.
//
// Pinning is best effort. The OS may refuse it (a cpuset or container that
// excludes the CPU, a CPU that is offline or does not exist, an OS without
// sched_setaffinity); a refusal is returned as a *PinError, which Group records
// and reports (Group.PinErrors, and the loop's exception handler) without
// failing: the loop then runs unpinned, wherever the scheduler puts it.
//
// Caller rule: pinThread changes the affinity of the calling OS thread, so its
// caller must hold runtime.LockOSThread for as long as the pin should last, and
// must not unlock it afterwards: a goroutine that exits still locked takes its
// thread with it, so a pinned thread never returns to the runtime's pool.

import (
	"errors"
	"fmt"
	"runtime"
)

// ErrPinUnsupported is returned (inside a *PinError) where the OS has no
// thread affinity call this package knows.
var ErrPinUnsupported = errors.New("multi: CPU pinning is not supported on this OS")

// maxCPU bounds CPU numbers accepted by WithGroupCPUs: the size of Linux's
// cpu_set_t (CPU_SETSIZE), which unix.CPUSet mirrors.
const maxCPU = 1024

// PinError reports that the OS refused to pin loop Loop's thread to CPU.
// errors.Is(err, syscall.EINVAL) etc. reach the OS error through Unwrap.
type PinError struct {
	Loop    int   // index of the loop in its Group
	CPU     int   // the CPU that was asked for
	Allowed []int // the CPUs the process may use (sched_getaffinity), nil if unknown
	Err     error // the OS's answer, or ErrPinUnsupported
}

func (e *PinError) Error() string {
	if e.Allowed != nil {
		return fmt.Sprintf("multi: group loop %d: pin to CPU %d refused (allowed CPUs %v): %v", e.Loop, e.CPU, e.Allowed, e.Err)
	}
	return fmt.Sprintf("multi: group loop %d: pin to CPU %d refused: %v", e.Loop, e.CPU, e.Err)
}

func (e *PinError) Unwrap() error { return e.Err }

// defaultCPUs is the CPU list a group uses when none was given: the CPUs the
// process may run on, or 0..NumCPU-1 where the OS does not say.
func defaultCPUs() []int {
	cpus, err := AllowedCPUs()
	if err != nil || len(cpus) == 0 {
		cpus = make([]int, runtime.NumCPU())
		for i := range cpus {
			cpus[i] = i
		}
	}
	return cpus
}

// lockThread locks the calling goroutine to its OS thread and, when cpu >= 0,
// pins that thread to cpu (see the caller rule above: a pinned thread is never
// unlocked, so it exits with its goroutine). It returns the refusal, if any, as
// a *PinError for loop idx, and whether the caller must UnlockOSThread when it
// is done (an unpinned thread goes back to the runtime's pool).
func lockThread(idx, cpu int) (refused *PinError, unlock bool) {
	runtime.LockOSThread()
	if cpu < 0 {
		return nil, true
	}
	if err := pinThread(cpu); err != nil {
		allowed, _ := AllowedCPUs()
		return &PinError{Loop: idx, CPU: cpu, Allowed: allowed, Err: err}, false
	}
	return nil, false
}
