package profiles

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestStartWritesEveryProfile(t *testing.T) {
	dir := t.TempDir() + "/sub" // Start creates it
	prev := runtime.SetMutexProfileFraction(7)
	defer runtime.SetMutexProfileFraction(prev)
	stop, err := Start(dir, "threadsafe", "mpsc")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Start(dir, "threadsafe", "other"); !errors.Is(err, ErrActive) {
		t.Errorf("second Start: err = %v, want ErrActive", err)
	}
	// Some CPU work, some contention, some blocking.
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for end := time.Now().Add(100 * time.Millisecond); time.Now().Before(end); {
				mu.Lock()
				sink += spinLeaf(2000)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Errorf("second stop: %v", err)
	}
	if got := runtime.SetMutexProfileFraction(-1); got != 7 {
		t.Errorf("mutex profile fraction after stop = %d, want the previous 7", got)
	}
	for _, kind := range Kinds {
		path := ProfilePath(dir, "threadsafe", "mpsc", kind)
		p := readProfile(t, path)
		if len(p.SampleType) == 0 {
			t.Errorf("%s: no sample types", path)
		}
		if kind == "cpu" {
			r, err := Top(p, 5, false)
			if err != nil || r.Total == 0 {
				t.Errorf("cpu profile empty: %v %+v", err, r)
			}
		}
		if kind == "mutex" && len(p.Sample) == 0 {
			t.Errorf("mutex profile has no samples despite 4 goroutines contending")
		}
		if out, err := exec.Command("go", "tool", "pprof", "-top", path).CombinedOutput(); err != nil {
			t.Errorf("go tool pprof -top %s: %v\n%.300s", path, err, out)
		}
	}
	// After stop, a new capture may start.
	stop2, err := Start(dir, "threadsafe", "again")
	if err != nil {
		t.Fatalf("Start after stop: %v", err)
	}
	stop2()
}

func TestStartRejectsBadNames(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ w, v, want string }{
		{"", "mpsc", "workload name is empty"},
		{"a/b", "mpsc", `"a/b"`},
		{"x", "..", `".."`},
		{"x", `a\b`, `"a\\b"`},
	} {
		_, err := Start(dir, c.w, c.v)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Start(%q,%q): err = %v, want it to mention %s", c.w, c.v, err, c.want)
		}
	}
	if _, err := Start("", "a", "b"); err == nil {
		t.Error("Start with empty dir succeeded")
	}
	f, _ := os.CreateTemp(dir, "file")
	f.Close()
	if _, err := Start(f.Name(), "a", "b"); err == nil {
		t.Error("Start under a regular file succeeded")
	}
}
