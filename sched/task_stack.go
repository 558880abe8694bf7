package sched

// Task stacks: asyncio's Task.get_stack / print_stack for Go coroutines.
//
//   - A suspended task: the frames of its body from the coroutine function down to
//     the call that awaits (Await, Coro.Wait, Coro.Sleep, WaitFor: the library's own
//     frames are cut off at both ends). They are captured on the coroutine's own
//     stack by a probe (coroutine.inspect): the body is switched in, records
//     runtime.Callers and is switched out again without returning from its await.
//   - A task whose body is running (GetStack called from its own body): the same
//     frames, down to the GetStack call.
//   - A task that failed by panic: the frames between the coroutine function and the
//     panic, captured when the panic was recovered.
//   - Anything else (not started, finished, cancelled, failed by a returned error):
//     no frames (an error value carries no traceback).
//
// Frames are oldest first. limit < 0 means all; otherwise at most limit frames: the
// newest of a stack, the oldest of a panic's traceback (asyncio's rule, after the
// traceback module). Loop goroutine only, like every Task method but Done/Result.

import (
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/ringloop/ringloop/internal/goid"
)

const schedPkg = "github.com/ringloop/ringloop/sched."

// awaitAPI are the library functions between a body and suspendOn, cut from
// stacks; names without the package prefix and with generic arguments as "[...]".
var awaitAPI = map[string]bool{
	"Await[...]":       true,
	"WaitFor[...]":     true,
	"(*Coro).Wait":     true,
	"(*Coro).Sleep":    true,
	"(*Coro).waitDone": true,
}

// GetStack returns the task's stack or traceback; see the file comment.
func (t *taskCore) GetStack(limit int) []runtime.Frame {
	frames, traceback := t.stack()
	if limit >= 0 && len(frames) > limit {
		if traceback {
			frames = frames[:limit]
		} else {
			frames = frames[len(frames)-limit:]
		}
	}
	return frames
}

// stack returns the frames oldest first, and whether they are a panic's traceback.
func (t *taskCore) stack() (frames []runtime.Frame, traceback bool) {
	switch {
	case t.panicked():
		return bodyFrames(t.cold.panicPCs, func(fn string) bool { return fn == "runtime.gopanic" }, true), true
	case t.cr == nil:
		return nil, false
	case goid.Current() == t.cr.Goid(): // the body asks about itself
		pcs := make([]uintptr, 128)
		pcs = pcs[:runtime.Callers(1, pcs)]
		return bodyFrames(pcs, func(fn string) bool {
			return fn == schedPkg+"(*taskCore).GetStack" || fn == schedPkg+"(*taskCore).stack"
		}, false), false
	default:
		var pcs []uintptr
		t.cr.Inspect(func() {
			buf := make([]uintptr, 128)
			pcs = buf[:runtime.Callers(1, buf)]
		})
		return bodyFrames(pcs, func(fn string) bool { return fn == schedPkg+"(*taskCore).suspendOn" }, false), false
	}
}

// bodyFrames expands pcs (newest first) and keeps the body's frames: those after
// the last frame matching top (and the await API and, for a panic, the runtime's
// panic helpers right above it) and before the task's callBody. Oldest first.
func bodyFrames(pcs []uintptr, top func(fn string) bool, panicking bool) []runtime.Frame {
	var all []runtime.Frame
	fs := runtime.CallersFrames(pcs)
	for {
		f, more := fs.Next()
		all = append(all, f)
		if !more {
			break
		}
	}
	start := -1
	for i, f := range all {
		if top(f.Function) {
			start = i + 1
		}
	}
	if start < 0 {
		return nil
	}
	for start < len(all) {
		fn := all[start].Function
		if panicking && (strings.HasPrefix(fn, "runtime.panic") || strings.HasPrefix(fn, "runtime.goPanic") || fn == "runtime.sigpanic") {
			start++
			continue
		}
		if strings.HasPrefix(fn, schedPkg) && awaitAPI[strings.TrimPrefix(fn, schedPkg)] {
			start++
			continue
		}
		break
	}
	var out []runtime.Frame
	for _, f := range all[start:] {
		if strings.HasPrefix(f.Function, schedPkg+"(*Task[") && strings.HasSuffix(f.Function, ").callBody") {
			break
		}
		out = append(out, f)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// PrintStack writes GetStack(limit) to w in Go's traceback style (newest frame
// first, each as "function(...)" and a tab-indented "file:line +0xoffset"), under
// a header naming the task and its state, like a goroutine in a Go traceback.
func (t *taskCore) PrintStack(limit int, w io.Writer) error {
	frames := t.GetStack(limit)
	var b strings.Builder
	state := "suspended"
	switch {
	case t.panicked():
		state = "panicked"
		fmt.Fprintf(&b, "panic: %v\n\n", t.cold.panicVal)
	case t.cr != nil && goid.Current() == t.cr.Goid():
		state = "running"
	}
	if len(frames) == 0 {
		fmt.Fprintf(&b, "No stack for %s\n", t.self.String())
	} else {
		fmt.Fprintf(&b, "task %s [%s]:\n", t.GetName(), state)
		for i := len(frames) - 1; i >= 0; i-- {
			f := frames[i]
			fmt.Fprintf(&b, "%s(...)\n\t%s:%d +%#x\n", f.Function, f.File, f.Line, f.PC-f.Entry)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
