// Package profiles captures and explains where a loadgen run spent its time: pprof
// profiles per variant (Start), their analysis (Top, Diff), and tail forensics: a
// runtime/trace flight recorder snapshotted when a latency sample lands above a
// threshold (OutlierRecorder), and a summary of what the loop goroutine was doing
// in that window (SummarizeTrace).
//
// The first thing a user does is run loadgen with -profile DIR (or
// -trace-outliers DIR) and read the result with `loadgen pprof top FILE`;
// in Go, stop, err := profiles.Start(dir, workload, variant) around a run.
//
// Files this package writes, all under one directory chosen by the caller:
//
//	<workload>-<variant>.cpu.pb.gz      CPU profile (runtime/pprof, gzipped proto)
//	<workload>-<variant>.heap.pb.gz     heap profile, taken after a GC at stop
//	<workload>-<variant>.allocs.pb.gz   allocation profile
//	<workload>-<variant>.mutex.pb.gz    mutex contention profile
//	<workload>-<variant>.block.pb.gz    blocking profile
//	<workload>-<variant>-<n>.trace      flight-recorder window of outlier n
//
// Every .pb.gz opens with `go tool pprof`; every .trace opens with `go tool trace`.
//
// Invariants:
//   - At most one Start is active per process (the runtime allows one CPU profile);
//     a second Start returns ErrActive until the first stop function has run.
//   - The stop function restores the mutex profile fraction to the value it had
//     before Start and the block profile rate to 0 (the runtime's default; Go has no
//     getter for the block rate, so a caller that had set its own must set it again).
//   - Workload and variant names become file names: they must be non-empty and must
//     not contain a path separator or "..".
package profiles

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
)

// Kinds lists the profile kinds Start writes, in the order it writes them.
var Kinds = []string{"cpu", "heap", "allocs", "mutex", "block"}

// ErrActive is returned by Start while another Start has not been stopped.
var ErrActive = errors.New("profiles: a profile capture is already active")

// MutexProfileFraction and BlockProfileRate are the rates Start sets for the
// duration of a capture: every contention event on a mutex is recorded, and a
// blocking event is sampled about once per microsecond blocked.
const (
	MutexProfileFraction = 1
	BlockProfileRate     = 1000 // ns
)

var active struct {
	mu sync.Mutex // guards on
	on bool       // true between Start and its stop function
}

// ProfilePath returns DIR/<workload>-<variant>.<kind>.pb.gz.
func ProfilePath(dir, workload, variant, kind string) string {
	return filepath.Join(dir, workload+"-"+variant+"."+kind+".pb.gz")
}

// checkName rejects names that would escape DIR or make an ambiguous file name.
func checkName(what, name string) error {
	if name == "" {
		return fmt.Errorf("profiles: %s name is empty; want a non-empty name without path separators", what)
	}
	if strings.ContainsAny(name, `/\`) || strings.Contains(name, "..") || strings.ContainsRune(name, 0) {
		return fmt.Errorf("profiles: %s name %q contains a path separator or \"..\"; want a plain name", what, name)
	}
	return nil
}

// Start begins capturing the CPU profile and raises the mutex and block profile
// rates, creating dir if needed. The returned stop function ends the capture and
// writes all five profiles (see Kinds) to DIR/<workload>-<variant>.<kind>.pb.gz; it
// returns the first error met but always tries to write every profile and restore
// the rates. Calling stop twice is an error-free no-op the second time.
func Start(dir, workload, variant string) (stop func() error, err error) {
	if err := checkName("workload", workload); err != nil {
		return nil, err
	}
	if err := checkName("variant", variant); err != nil {
		return nil, err
	}
	if dir == "" {
		return nil, errors.New("profiles: directory is empty; want a directory path")
	}
	active.mu.Lock()
	if active.on {
		active.mu.Unlock()
		return nil, ErrActive
	}
	active.on = true
	active.mu.Unlock()
	release := func() {
		active.mu.Lock()
		active.on = false
		active.mu.Unlock()
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		release()
		return nil, fmt.Errorf("profiles: directory %q: %w", dir, err)
	}
	cpuPath := ProfilePath(dir, workload, variant, "cpu")
	cpu, err := os.Create(cpuPath)
	if err != nil {
		release()
		return nil, fmt.Errorf("profiles: %w", err)
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		cpu.Close()
		os.Remove(cpuPath)
		release()
		return nil, fmt.Errorf("profiles: start CPU profile: %w", err)
	}
	prevMutex := runtime.SetMutexProfileFraction(MutexProfileFraction)
	runtime.SetBlockProfileRate(BlockProfileRate)

	var once sync.Once
	stop = func() error {
		var first error
		keep := func(err error) {
			if err != nil && first == nil {
				first = err
			}
		}
		once.Do(func() {
			defer release()
			pprof.StopCPUProfile()
			keep(cpu.Close())
			runtime.GC() // so the heap profile shows live data as of now
			for _, kind := range Kinds[1:] {
				keep(writeLookup(ProfilePath(dir, workload, variant, kind), kind))
			}
			runtime.SetMutexProfileFraction(prevMutex)
			runtime.SetBlockProfileRate(0)
		})
		return first
	}
	return stop, nil
}

// writeLookup writes the named runtime/pprof profile as a gzipped proto.
func writeLookup(path, kind string) error {
	p := pprof.Lookup(kind)
	if p == nil {
		return fmt.Errorf("profiles: runtime has no %q profile", kind)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("profiles: %w", err)
	}
	if err := p.WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("profiles: write %s: %w", path, err)
	}
	return f.Close()
}
