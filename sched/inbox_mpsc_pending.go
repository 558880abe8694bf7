// Temporary: ringbuf.MPSC has not landed yet. Until it does, "mpsc" and
// "mpsc-cas" are refused by New with a clear error and the default inbox is
// "mutex". This file is deleted when inbox_mpsc.go (ringbuf-backed) lands.
package sched

import "errors"

const mpscAvailable = false

func newMPSCInbox(cas bool) (inbox, error) {
	return nil, errors.New("sched: inbox variant mpsc needs ringbuf.MPSC, which is not built yet")
}
