package collector

import (
	"testing"
	"time"
)

// TestVersionChangesWhenACollectionEnds: the status page rebuilds its summary only when
// Version moved, so every collection that ends, also one that failed, must move it.
func TestVersionChangesWhenACollectionEnds(t *testing.T) {
	env := newTestEnv(t, "demo")
	clk := newClock()
	exp := env.exporter(t, []string{"balance"}, func(c *Config) {
		c.Now = clk.now
		c.MinInterval = map[string]time.Duration{"balance": time.Hour}
	})
	if v := exp.Version(); v != 0 {
		t.Fatalf("Version %d before any collection", v)
	}
	settle(t, exp)
	first := exp.Version()
	if first == 0 {
		t.Fatal("Version did not move when the first collection ended")
	}
	settle(t, exp) // fresh: no collection
	if v := exp.Version(); v != first {
		t.Errorf("Version moved from %d to %d without a collection", first, v)
	}
	env.sim.SetFaults(mustFaults(t, "/finance/balance=status:503"))
	clk.add(2 * time.Hour)
	settle(t, exp)
	if v := exp.Version(); v == first {
		t.Error("Version did not move when a failing collection ended")
	}
}
