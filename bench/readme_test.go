package bench

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestReadmePeersTablesGenerated checks that every table the README says it made
// with `bench/peers/table.py RESULTSFILE` is exactly what that command prints from
// the results file in bench/results, so a README table cannot drift from the
// measurement it quotes.
func TestReadmePeersTablesGenerated(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 in PATH: README tables not checked")
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	cmds := regexp.MustCompile(`(?m)^bench/peers/table\.py (bench/results/\S+\.raw\.txt)$`).FindAllSubmatch(readme, -1)
	if len(cmds) == 0 {
		t.Fatal("README names no `bench/peers/table.py bench/results/FILE` command")
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(string(readme), "\n") {
		lines[l] = true
	}
	for _, c := range cmds {
		file := strings.TrimPrefix(string(c[1]), "bench/")
		out, err := exec.Command(py, "peers/table.py", file).CombinedOutput()
		if err != nil {
			t.Fatalf("bench/peers/table.py %s: %v\n%s", file, err, out)
		}
		n := 0
		for _, l := range strings.Split(string(out), "\n") {
			if !strings.HasPrefix(l, "|") || strings.HasPrefix(l, "|---") {
				continue
			}
			n++
			if !lines[l] {
				t.Errorf("README lacks this line of `bench/peers/table.py bench/%s` (regenerate the table):\n%s", file, l)
			}
		}
		if n == 0 {
			t.Errorf("bench/peers/table.py bench/%s printed no table", file)
		}
	}
}
