package multi_test

import (
	"fmt"

	"github.com/ringloop/ringloop/multi"
)

// Sharding by key: every submission for one key runs on the loop that owns the
// key, in submission order, so per-key state lives on that loop and needs no
// lock. Close runs everything accepted before it, then stops the loops.
func ExampleGroup() {
	g, err := multi.NewGroup(
		multi.WithGroupLoops(2),
		multi.WithGroupPinning(false), // pinning is the default; off here so the example runs anywhere
	)
	if err != nil {
		panic(err)
	}
	balances := make([]map[uint64]int, g.Len()) // balances[i] belongs to loop i
	for i := range balances {
		balances[i] = map[uint64]int{}
	}
	for account := uint64(1); account <= 4; account++ {
		for deposit := 1; deposit <= 100; deposit++ {
			owner := g.KeyIndex(account)
			if err := g.SubmitKey(account, func() { balances[owner][account] += deposit }); err != nil {
				panic(err)
			}
		}
	}
	if err := g.Close(); err != nil {
		panic(err)
	}
	for account := uint64(1); account <= 4; account++ {
		fmt.Println(account, balances[g.KeyIndex(account)][account])
	}
	// Output:
	// 1 5050
	// 2 5050
	// 3 5050
	// 4 5050
}
