package pace

// sleep.go: the precise-sleep way of waiting (Mode Sleep). The default
// pacer (Mode Spin) sleeps with time.Sleep to within SleepOver (200 us) of
// each intended time and spins the rest: below ~5,000 ops/s per producer it
// spins on a CPU for most of every period, and on 2 CPUs that is one of
// the two the scheduler under test needs. Sleep instead locks the pacer's
// goroutine to its OS thread, sets that thread's timer slack to 1 ns
// (prctl PR_SET_TIMERSLACK: the kernel's default of 50 us is what makes
// time.Sleep late) and sleeps in clock_nanosleep(CLOCK_MONOTONIC,
// TIMER_ABSTIME) until the intended time itself: no spinning, no
// accumulated drift (absolute deadlines), the CPU free while it waits.
//
// Invariants:
//   - SetMode(Sleep) is called on the goroutine that calls Next, before
//     the first Next. It locks that goroutine to its thread for good: the
//     thread, with its 1 ns slack, ends with the goroutine (the runtime
//     exits a thread whose goroutine exits locked), so no other goroutine
//     inherits the slack.
//   - CLOCK_MONOTONIC is the clock hist.Now (runtime.nanotime) reads, so
//     an absolute deadline from the schedule is one the kernel understands.
//   - Waits shorter than minSleep are spun: a system call costs about that
//     much, and a sleep could only be later.
//   - While it sleeps in the system call the goroutine holds its P until
//     the runtime's monitor hands it off (about 20 us); what that costs the
//     scheduler under test is what the null baseline and the lateness
//     columns measure, and why the mode is chosen by measurement.

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/ringloop/ringloop/internal/hist"
)

// Mode is how a Pacer waits for an intended time.
type Mode uint8

const (
	// Spin sleeps (time.Sleep) until SleepOver before the intended time,
	// then spins on the clock. The default.
	Spin Mode = iota
	// Sleep sleeps precisely until the intended time on a locked thread
	// with 1 ns timer slack (clock_nanosleep, absolute).
	Sleep
)

// Modes lists the modes by name, the default first.
var Modes = []string{"spin", "sleep"}

func (m Mode) String() string {
	if int(m) < len(Modes) {
		return Modes[m]
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// ParseMode returns the mode called name.
func ParseMode(name string) (Mode, error) {
	for i, n := range Modes {
		if n == name {
			return Mode(i), nil
		}
	}
	return 0, fmt.Errorf("pacer %q: accepted are %v", name, Modes)
}

// minSleep is the shortest wait Sleep mode sleeps for; shorter ones spin.
const minSleep = 2000 // ns

// SetMode makes p wait the way m says. Call it on the goroutine that will
// call Next, before the first Next; for Sleep it locks the goroutine to its
// OS thread (for good) and sets the thread's timer slack to 1 ns. It
// returns the prctl error, if any (the mode is still Sleep: clock_nanosleep
// works without it, only later).
func (p *Pacer) SetMode(m Mode) error {
	p.mode = m
	if m != Sleep {
		return nil
	}
	runtime.LockOSThread()
	return unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0)
}

// Mode is p's waiting mode.
func (p *Pacer) Mode() Mode { return p.mode }

// untilSleep waits until hist.Now() >= t in absolute-time sleeps and
// returns the time it saw.
func untilSleep(t int64) int64 {
	now := hist.Now()
	for now < t {
		if t-now >= minSleep {
			ts := unix.NsecToTimespec(t)
			_ = unix.ClockNanosleep(unix.CLOCK_MONOTONIC, unix.TIMER_ABSTIME, &ts, nil) // EINTR: loop and sleep again
		}
		now = hist.Now()
	}
	return now
}
