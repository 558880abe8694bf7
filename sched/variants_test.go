package sched

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var updateDesign = flag.Bool("update-design", false, "rewrite the variant table in ../docs/DESIGN.md from the variant table")

// TestVariantTable checks the table's invariants (variants.go): defaults first,
// unique names, one constructor per row (the one its part uses), and every name
// accepted by its option.
func TestVariantTable(t *testing.T) {
	if v := InboxVariants(); v[0] != DefaultInbox {
		t.Errorf("first inbox %q, want the default %q", v[0], DefaultInbox)
	}
	if v := WakeupVariants(); v[0] != DefaultWakeup {
		t.Errorf("first wakeup %q, want the default %q", v[0], DefaultWakeup)
	}
	if n := len(CoroVariants()); n != numCoroVariants {
		t.Errorf("%d coro rows, numCoroVariants = %d", n, numCoroVariants)
	}
	seen := map[string]bool{}
	for _, r := range variantTable {
		key := r.Part + "/" + r.Name
		if seen[key] {
			t.Errorf("%s: listed twice", key)
		}
		seen[key] = true
		if r.Doc == "" || strings.Contains(r.Doc, "\n") {
			t.Errorf("%s: doc %q is not one line", key, r.Doc)
		}
		set := map[string]bool{"inbox": r.newInbox != nil, "wakeup": r.newWaker != nil, "coro": r.newEngine != nil}
		n := 0
		for part, ok := range set {
			if ok {
				n++
				if part != r.Part {
					t.Errorf("%s: has a %s constructor", key, part)
				}
			}
		}
		if n != 1 {
			t.Errorf("%s: %d constructors, want 1", key, n)
		}
	}
	for _, v := range Variants() {
		var err error
		switch v.Part {
		case "inbox":
			var l *Loop
			if l, err = New(WithInbox(v.Name)); err == nil {
				if l.InboxName() != v.Name {
					t.Errorf("WithInbox(%q) built %q", v.Name, l.InboxName())
				}
				l.Close()
			}
		case "wakeup":
			var l *Loop
			if l, err = New(WithWakeup(v.Name)); err == nil {
				l.Close()
			}
		case "coro":
			err = WithCoro(v.Name).err
		default:
			t.Errorf("%s: unknown part %q", v.Name, v.Part)
		}
		if err != nil {
			t.Errorf("%s %s: %v", v.Part, v.Name, err)
		}
	}
	if err := WithCoro("nope").err; err == nil || !strings.Contains(err.Error(), `"coro-nopool"`) {
		t.Errorf("WithCoro(nope) = %v, want an error naming the accepted engines", err)
	}
}

// variantMarkdown renders the table as docs/DESIGN.md shows it.
func variantMarkdown() string {
	var b strings.Builder
	b.WriteString("| part | name | what it is |\n|---|---|---|\n")
	for _, r := range variantTable {
		name := "`" + r.Name + "`"
		if (r.Part == "inbox" && r.Name == DefaultInbox) || (r.Part == "wakeup" && r.Name == DefaultWakeup) || (r.Part == "coro" && coroIndex(r.Name) == 0) {
			name += " (default)"
		}
		b.WriteString("| " + r.Part + " | " + name + " | " + r.Doc + " |\n")
	}
	return b.String()
}

const (
	variantsBegin = "<!-- variants: generated from sched/variants.go; go test ./sched -run VariantTableInDesign -update-design -->\n"
	variantsEnd   = "<!-- end variants -->"
)

// TestVariantTableInDesign keeps the variant table in docs/DESIGN.md equal to
// the one in variants.go; -update-design rewrites it.
func TestVariantTableInDesign(t *testing.T) {
	const path = "../docs/DESIGN.md"
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	i := strings.Index(doc, variantsBegin)
	j := strings.Index(doc, variantsEnd)
	if i < 0 || j < i {
		t.Fatalf("%s: no %q ... %q block", path, strings.TrimSpace(variantsBegin), variantsEnd)
	}
	want := variantMarkdown()
	if got := doc[i+len(variantsBegin) : j]; got != want {
		if !*updateDesign {
			t.Fatalf("%s: the variant table differs from sched/variants.go; run\n\tgo test ./sched -run VariantTableInDesign -update-design\ngot:\n%swant:\n%s", path, got, want)
		}
		doc = doc[:i+len(variantsBegin)] + want + doc[j:]
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
