package main

// machine.go: what every result carries about where it was measured.

import (
	"bufio"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/ringloop/ringloop/results"
)

func machine(pinned bool) results.Machine {
	host, _ := os.Hostname()
	return results.Machine{
		CPUModel:   cpuModel(),
		Cores:      runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion:  runtime.Version(),
		OS:         runtime.GOOS,
		Arch:       runtime.GOARCH,
		Pinned:     pinned,
		XcoreNs:    xcoreNs(),
		Date:       time.Now().UTC(),
		Hostname:   host,
	}
}

// cpuModel is the first "model name" of /proc/cpuinfo, or "unknown".
func cpuModel() string {
	fh, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
