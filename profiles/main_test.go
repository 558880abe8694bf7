package profiles

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine outlives its test: the outlier
// writer must exit on Close, and the flight recorder must stop.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
