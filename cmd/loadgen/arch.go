package main

// arch.go: the flags of the architecture workloads (service, starve), whose
// variants are scheduler architectures (bench.Archs): -service picks the
// service-time distribution and -keys the key skew; both are checked before
// any work starts, naming the bad value and what is accepted.

import (
	"flag"
	"slices"

	"github.com/ringloop/ringloop/bench"
)

// archWorkloads run on the architectures and take -loops, -service, -keys.
var archWorkloads = []string{"service", "starve"}

func isArchWorkload(name string) bool { return slices.Contains(archWorkloads, name) }

type archFlags struct {
	service string
	keys    string
	fs      *flag.FlagSet // to tell set flags from defaults
}

func (a *archFlags) register(fs *flag.FlagSet) {
	a.fs = fs
	fs.StringVar(&a.service, "service", bench.DefaultService,
		"service time per request (service, starve workloads): fixed:D, exp:MEAN, or bimodal:A,B,P (B with probability P)")
	fs.StringVar(&a.keys, "keys", bench.DefaultKeys,
		"request key skew (service, starve; only shard routes by key): uniform or zipf:S (1 < S <= 10)")
}

// check validates -service and -keys; setting them for a workload that
// ignores them is an error, not a silent no-op.
func (a *archFlags) check(workload string) error {
	set := map[string]bool{}
	a.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !isArchWorkload(workload) {
		for _, n := range []string{"service", "keys"} {
			if set[n] {
				return usagef("-%s: only the %v workloads take it (workload is %s)", n, archWorkloads, workload)
			}
		}
		return nil
	}
	if _, err := bench.ParseService(a.service); err != nil {
		return usagef("-service: %v", err)
	}
	if _, err := bench.ParseKeys(a.keys); err != nil {
		return usagef("-keys: %v", err)
	}
	return nil
}
