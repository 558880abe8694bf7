package future

// string.go: String, asyncio's Future.__repr__:
//
//	<Future pending>
//	<Future pending cb=[pkg.fn() at file.go:12]>
//	<Future pending cb=[a() at x.go:1, <3 more>, z() at x.go:9]>
//	<Future finished result=42>
//	<Future finished exception=*errors.errorString("boom")>
//	<Future cancelled>
//
// Results are formatted with %#v and shortened like reprlib (at most maxRepr
// bytes, "..." in the middle). cb=[...] appears only for a pending future (as in
// asyncio, whose list is handed to the loop at completion) and only when String
// is called on the loop goroutine: the list is loop-owned, and elsewhere it is
// left out rather than read racily.

import (
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"unsafe"
)

// maxRepr bounds the length of a formatted result or error.
const maxRepr = 60

// String describes the future as asyncio's repr does. Any goroutine (callbacks
// only on the loop goroutine).
func (f *Future[T]) String() string {
	var b strings.Builder
	b.WriteString("<Future ")
	s := f.settled()
	switch s {
	case statePending:
		b.WriteString("pending")
	case stateCancelled:
		b.WriteString("cancelled")
	default:
		b.WriteString("finished")
		if err := f.errv(); err != nil {
			b.WriteString(" exception=")
			b.WriteString(shorten(fmt.Sprintf("%T(%q)", err, err.Error())))
		} else {
			b.WriteString(" result=")
			b.WriteString(shorten(fmt.Sprintf("%#v", f.value)))
		}
	}
	// asyncio's list is non-empty only while pending (it is handed to the loop at
	// completion); ours may still hold callbacks until the dispatch runs, which
	// is not shown. InLoop before the list: the list is loop-owned.
	if s == statePending && f.loop.InLoop() && f.inline[0] != nil {
		b.WriteByte(' ')
		b.WriteString(f.formatCallbacks())
	}
	b.WriteByte('>')
	return b.String()
}

// formatCallbacks is asyncio's _format_callbacks: one, two, or first, <N more>,
// last. Loop goroutine only.
func (f *Future[T]) formatCallbacks() string {
	cbs := f.entries()
	switch len(cbs) {
	case 1:
		return "cb=[" + describeCallback(cbs[0]) + "]"
	case 2:
		return "cb=[" + describeCallback(cbs[0]) + ", " + describeCallback(cbs[1]) + "]"
	default:
		return fmt.Sprintf("cb=[%s, <%d more>, %s]", describeCallback(cbs[0]), len(cbs)-2, describeCallback(cbs[len(cbs)-1]))
	}
}

// describeCallback names a callback like asyncio's _format_callback_source:
// "name() at file:line".
func describeCallback(e entry) string {
	p := e.p
	pc := reflect.ValueOf(*(*func())(unsafe.Pointer(&p))).Pointer() // the code address; any func type reads the same word

	fn := runtime.FuncForPC(pc)
	if fn == nil {
		return fmt.Sprintf("func@%#x()", pc)
	}
	file, line := fn.FileLine(pc)
	return fmt.Sprintf("%s() at %s:%d", fn.Name(), filepath.Base(file), line)
}

// shorten keeps s within maxRepr bytes, cutting the middle like reprlib.
func shorten(s string) string {
	if len(s) <= maxRepr {
		return s
	}
	keep := (maxRepr - 3) / 2
	return s[:keep] + "..." + s[len(s)-keep:]
}
