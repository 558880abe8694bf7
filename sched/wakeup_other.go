//go:build !linux

package sched

import "sync/atomic"

func newKernelWaker(name string, state *atomic.Uint32) (waker, error) { return nil, nil }

const kernelWakers = false
