//go:build !linux

// Affinity where the OS has no thread affinity call we use: pinning reports
// ErrPinUnsupported (Group records it and runs the loop unpinned), and every
// CPU the runtime counts is taken as allowed.

package multi

import "runtime"

// AllowedCPUs returns 0..runtime.NumCPU()-1: this OS offers no affinity mask.
func AllowedCPUs() ([]int, error) {
	cpus := make([]int, runtime.NumCPU())
	for i := range cpus {
		cpus[i] = i
	}
	return cpus, nil
}

func pinThread(cpu int) error { return ErrPinUnsupported }

func threadCPU() (int, error) { return -1, ErrPinUnsupported }
