package results

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sample() *File {
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	return &File{
		Tool:    "loadgen run",
		Machine: Machine{CPUModel: "Intel Xeon", Cores: 2, GOMAXPROCS: 2, GoVersion: "go1.26.8", OS: "linux", Arch: "amd64", XcoreNs: 81.5, Date: at, Hostname: "h"},
		Config:  Config{Workload: "threadsafe", Variants: []string{"mpsc", "mutex"}, Producers: 1, Rate: 1000, DurationNs: 1e9, WarmupNs: 1e8, Count: 2, Loops: 1, Baseline: "mpsc"},
		Summaries: []Summary{{
			Workload: "threadsafe", Variant: "mutex",
			Runs:       []Run{{Index: 0, Ops: 1000, ElapsedNs: 1e9, Throughput: 1000, AchievedRate: 1000, P50Ns: 10, P99Ns: 20, P999Ns: 30}},
			Throughput: Estimate{Center: 1000, Lo: 1000, Hi: 1000, N: 1, Warnings: []string{"too few"}},
			TargetRate: 1000, AchievedRate: 1000, RateKept: true,
			Corrected:   Latency{Count: 1000, P50Ns: 10, MaxNs: 99, Curve: []Point{{0, 1}, {0.5, 10}, {1, 99}}},
			Uncorrected: Latency{Count: 1000, P50Ns: 10, MaxNs: 50},
			Ratio:       &Ratio{Baseline: "mpsc", Throughput: Estimate{Center: 0.9}, ThroughputP: 1, Alpha: 0.05},
		}},
		Outliers:  []Outlier{{Workload: "threadsafe", Variant: "mutex", LatencyNs: 2e6, At: at, TraceFile: "x.trace"}},
		Partial:   true,
		Warnings:  []string{"w"},
		StartedAt: at, FinishedAt: at.Add(time.Second),
	}
}

func TestRoundTrip(t *testing.T) {
	f := sample()
	path := filepath.Join(t.TempDir(), "r.json")
	if err := f.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	g, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if g.Schema != Schema {
		t.Fatalf("schema %q", g.Schema)
	}
	if !reflect.DeepEqual(f, g) {
		t.Fatalf("round trip differs:\n%+v\n%+v", f, g)
	}
	if s := g.Find("threadsafe", "mutex"); s == nil || s.Corrected.MaxNs != 99 {
		t.Fatalf("Find: %+v", s)
	}
	if g.Find("threadsafe", "nope") != nil {
		t.Fatal("Find found a missing variant")
	}
	// No temporary files left behind.
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 {
		t.Fatalf("dir has %d entries, want 1", len(ents))
	}
}

func TestSchemaChecked(t *testing.T) {
	_, err := Read(strings.NewReader(`{"schema":"ringloop.loadgen/v0"}`))
	if !errors.Is(err, ErrSchema) {
		t.Fatalf("err = %v, want ErrSchema", err)
	}
	_, err = Read(strings.NewReader(`not json`))
	if err == nil {
		t.Fatal("no error for bad JSON")
	}
	var buf bytes.Buffer
	if err := sample().Write(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"schema": "ringloop.loadgen/v2"`) {
		t.Fatalf("schema missing:\n%s", buf.String())
	}
}

func TestReadFileMissing(t *testing.T) {
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Fatal("no error for missing file")
	}
}

// FuzzRead: Read never panics, accepts only SchemaV1 and SchemaV2, and what it accepts
// survives a Write/Read round trip unchanged.
func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	if err := sample().Write(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"schema":"ringloop.loadgen/v1"}`))
	f.Add([]byte(`{"schema":"ringloop.loadgen/v1","summaries":[{"runs":null,"corrected":{"curve":[{"q":1,"ns":5}]}}]}`))
	f.Add([]byte(`{"schema":"other"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		if got.Schema != SchemaV1 && got.Schema != SchemaV2 {
			t.Fatalf("accepted schema %q", got.Schema)
		}
		var out bytes.Buffer
		if err := got.Write(&out); err != nil {
			t.Fatalf("cannot write back what was read: %v", err)
		}
		first := out.String()
		again, err := Read(&out)
		if err != nil {
			t.Fatalf("cannot read back what was written: %v", err)
		}
		// Compared as encoded (a time's *Location differs by pointer).
		var out2 bytes.Buffer
		if err := again.Write(&out2); err != nil || out2.String() != first {
			t.Fatalf("round trip differs (%v):\n%s\n%s", err, first, out2.String())
		}
	})
}
