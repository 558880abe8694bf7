//go:build linux

package sched

// Kernel wakeup variants (Linux):
//
//   - "eventfd": the loop blocks in epoll_pwait2 on an epoll set holding an eventfd;
//     a producer writes 8 bytes to the eventfd. This is what an I/O loop needs (the
//     same epoll set would hold sockets). epoll_pwait2 takes a timespec, so timers
//     are not rounded to milliseconds; kernels without it fall back to epoll_wait
//     with the timeout rounded up (late, never early).
//   - "futex": the loop sleeps in FUTEX_WAIT on the loop's state word itself while
//     it reads stSleeping; a producer's CAS to stNotified followed by FUTEX_WAKE
//     wakes it. No token to drain, no fd.
//
// Both block an OS thread in a syscall: the Go scheduler hands the P away after
// ~20 us (sysmon), and the woken thread must get a P back. With WithLockOSThread the
// thread is the loop's anyway.
//
// Invariant: the eventfd and epoll fds are closed only by Loop.Close, after every
// producer that won P3 has finished its write (Loop.signalled == Loop.notifies), so
// a write never lands on a closed or reused descriptor.

import (
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

type eventfdWaker struct {
	efd, epfd int
	events    [1]unix.EpollEvent
	noPwait2  bool // epoll_pwait2 returned ENOSYS once; use epoll_wait
}

func newEventfdWaker() (*eventfdWaker, error) {
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("sched: eventfd: %w", err)
	}
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		unix.Close(efd)
		return nil, fmt.Errorf("sched: epoll_create1: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(efd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, efd, &ev); err != nil {
		unix.Close(efd)
		unix.Close(epfd)
		return nil, fmt.Errorf("sched: epoll_ctl: %w", err)
	}
	return &eventfdWaker{efd: efd, epfd: epfd}, nil
}

func (w *eventfdWaker) wait(timeout time.Duration) {
	var n int
	if !w.noPwait2 {
		var tsp uintptr
		var ts unix.Timespec
		if timeout >= 0 {
			ts = unix.NsecToTimespec(int64(timeout))
			tsp = uintptr(unsafe.Pointer(&ts))
		}
		r, _, errno := unix.Syscall6(unix.SYS_EPOLL_PWAIT2, uintptr(w.epfd),
			uintptr(unsafe.Pointer(&w.events[0])), 1, tsp, 0, 0)
		if errno == unix.ENOSYS {
			w.noPwait2 = true
		} else {
			n = int(r)
			if errno != 0 {
				n = 0
			}
		}
	}
	if w.noPwait2 {
		ms := -1
		if timeout >= 0 {
			ms = int((timeout + time.Millisecond - 1) / time.Millisecond)
		}
		n, _ = unix.EpollWait(w.epfd, w.events[:], ms)
	}
	if n > 0 {
		var buf [8]byte
		unix.Read(w.efd, buf[:]) // reset the counter; EAGAIN is fine
	}
}

func (w *eventfdWaker) signal() {
	one := [8]byte{1}
	unix.Write(w.efd, one[:]) // EAGAIN only if the counter would overflow: still readable
}

func (w *eventfdWaker) close() error {
	err1 := unix.Close(w.epfd)
	err2 := unix.Close(w.efd)
	if err1 != nil {
		return err1
	}
	return err2
}

// futexWaker sleeps on the loop's state word.
type futexWaker struct {
	word *atomic.Uint32 // &Loop.state
}

const (
	// FUTEX_WAIT (0) and FUTEX_WAKE (1) with FUTEX_PRIVATE_FLAG (128), from
	// linux/futex.h; x/sys/unix does not export them.
	futexWaitPrivate = 0 | 128
	futexWakePrivate = 1 | 128
)

func (w *futexWaker) wait(timeout time.Duration) {
	var tsp uintptr
	var ts unix.Timespec
	if timeout >= 0 {
		ts = unix.NsecToTimespec(int64(timeout))
		tsp = uintptr(unsafe.Pointer(&ts))
	}
	// Sleeps only while *word == stSleeping (checked atomically by the kernel), so a
	// CAS to stNotified before we get here makes this return at once (EAGAIN).
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(w.word)), futexWaitPrivate,
		uintptr(stSleeping), tsp, 0, 0)
}

func (w *futexWaker) signal() {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(w.word)), futexWakePrivate, 1, 0, 0, 0)
}

func (w *futexWaker) close() error { return nil }

func newKernelWaker(name string, state *atomic.Uint32) (waker, error) {
	switch name {
	case "eventfd":
		return newEventfdWaker()
	case "futex":
		return &futexWaker{word: state}, nil
	}
	return nil, nil
}

const kernelWakers = true
