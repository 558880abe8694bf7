package ringbuf

// Deque: the single-goroutine FIFO behind CallSoon. No atomics, no locks:
// only its owner goroutine may touch it.
//
// # Invariants
//
//	I1 len(buf) is 0 or a power of two; it only grows (doubling), except
//	   that the zero value starts empty.
//	I2 Elements live at buf[(head+i) & (len(buf)-1)] for i in [0, n); every
//	   other slot holds the zero value (popped references are cleared).
//	I3 0 <= n <= len(buf).

// minDequeCap is the first allocation of a zero Deque.
const minDequeCap = 8

// Deque is a growable ring-buffer FIFO. The zero value is an empty deque
// ready to use. Not safe for concurrent use.
type Deque[T any] struct {
	buf  []T
	head int // index of the front element
	n    int // number of elements
}

// PushBack appends v. Amortised O(1); allocates only when it doubles.
func (d *Deque[T]) PushBack(v T) {
	if d.n == len(d.buf) {
		d.grow()
	}
	d.buf[(d.head+d.n)&(len(d.buf)-1)] = v
	d.n++
}

// grow doubles the ring (or allocates the first one), unwrapping it so the
// front lands at index 0.
func (d *Deque[T]) grow() {
	c := len(d.buf) * 2
	if c == 0 {
		c = minDequeCap
	}
	nb := make([]T, c)
	k := copy(nb, d.buf[d.head:])
	copy(nb[k:], d.buf[:d.head])
	d.buf = nb
	d.head = 0
}

// PopFront removes and returns the front element.
func (d *Deque[T]) PopFront() (T, bool) {
	var zero T
	if d.n == 0 {
		return zero, false
	}
	v := d.buf[d.head]
	d.buf[d.head] = zero
	d.head = (d.head + 1) & (len(d.buf) - 1)
	d.n--
	return v, true
}

// PopBatch removes up to max elements (max <= 0: all) from the front,
// appends them to buf in order and returns it.
func (d *Deque[T]) PopBatch(buf []T, max int) []T {
	k := d.n
	if max > 0 && max < k {
		k = max
	}
	if k == 0 {
		return buf
	}
	end := d.head + k
	if end <= len(d.buf) {
		buf = append(buf, d.buf[d.head:end]...)
		clear(d.buf[d.head:end])
	} else {
		buf = append(buf, d.buf[d.head:]...)
		buf = append(buf, d.buf[:end-len(d.buf)]...)
		clear(d.buf[d.head:])
		clear(d.buf[:end-len(d.buf)])
	}
	d.head = end & (len(d.buf) - 1)
	d.n -= k
	return buf
}

// Len returns the number of elements.
func (d *Deque[T]) Len() int { return d.n }

// Cap returns the current ring size (0 for a fresh zero value).
func (d *Deque[T]) Cap() int { return len(d.buf) }

// Clear removes every element (clearing references) and keeps the ring.
func (d *Deque[T]) Clear() {
	clear(d.buf)
	d.head, d.n = 0, 0
}
