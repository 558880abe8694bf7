// Package multi runs several sched.Loops as one scheduler: one loop per CPU,
// each on its own OS thread, with work submitted from any goroutine.
//
// The first thing a user does is build a Group and submit work by key:
//
//	g, err := multi.NewGroup()              // one loop per allowed CPU, pinned
//	...
//	err = g.SubmitKey(key, func() { ... })  // runs on the loop key hashes to
//	...
//	err = g.Close()                         // runs everything accepted, then stops
//
// A Group is thread-per-core sharding (the Seastar / Glommio model): a
// submission runs on the loop its route picks (by key, round robin, or least
// loaded) and never migrates. Loops talk to each other with Send, over one
// single-producer ring per pair of loops.
//
// A StealGroup is work stealing (the Tokio / Go runtime model): submissions go
// to a shared injection queue, callbacks spawned on a loop go to its LIFO slot
// and bounded local run queue (ringbuf.RunQ), and a loop that runs out of
// work steals half of another's queue before it parks:
//
//	s, err := multi.NewStealGroup()
//	err = s.Submit(func() { _ = s.Spawn(child) })
//	err = s.Close()
//
// multi builds only on sched's exported API; package sched stays the
// single-loop package.
package multi
