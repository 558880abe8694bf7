package sched

import (
	"testing"
	"unsafe"
)

// A spawn is one allocation: CreateTask allocates the task and its future
// together (taskAlloc), and scheduling the first step allocates nothing.
func TestCreateTaskOneAllocation(t *testing.T) {
	l, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	body := func(*Coro) (int, error) { return 1, nil }
	var tasks []*Task[int]
	spawn := func() {
		tk, err := CreateTask(l, body)
		if err != nil {
			t.Fatal(err)
		}
		tasks = append(tasks, tk)
	}
	tasks = make([]*Task[int], 0, 1024)
	spawn() // build the loop's task bookkeeping and engine first
	if a := testing.AllocsPerRun(200, spawn); a != 1 {
		t.Errorf("CreateTask: %.1f allocs, want 1 (task and future together)", a)
	}
	tk := tasks[len(tasks)-1]
	if p, q := uintptr(unsafe.Pointer(tk.Future)), uintptr(unsafe.Pointer(tk)); p < q || p >= q+unsafe.Sizeof(taskAlloc[int]{}) {
		t.Errorf("the task's future is not inside its allocation")
	}
	// Every task still runs to completion with its own result.
	if err := l.RunUntilComplete(tk); err != nil {
		t.Fatal(err)
	}
	for i, tk := range tasks {
		if v, err := tk.Result(); v != 1 || err != nil {
			t.Fatalf("task %d: %v, %v", i, v, err)
		}
	}
}

// A spawn's one allocation fits the 224-byte size class for Task[int]: the Coro
// handle is the taskCore itself, the loop is reached through lt, and the body's
// error waits in the cold part.
func TestTaskAllocSize(t *testing.T) {
	if s := unsafe.Sizeof(taskAlloc[int]{}); s > 224 {
		t.Errorf("taskAlloc[int] is %d bytes, want <= 224 (size class 224; 256 before)", s)
	}
}
