package collector

import (
	"math"
	"testing"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

func TestDCVState(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	future, past := now.Add(24*time.Hour), now.Add(-24*time.Hour)
	tests := []struct {
		name string
		d    certcentral.Domain
		want string
	}{
		{"never validated", certcentral.Domain{}, dcvPending},
		{"OV valid", certcentral.Domain{HasDCVExpiration: true, OVExpiry: future}, dcvValidated},
		{"OV lapsed, EV valid", certcentral.Domain{HasDCVExpiration: true, OVExpiry: past, EVExpiry: future}, dcvValidated},
		{"both lapsed", certcentral.Domain{HasDCVExpiration: true, OVExpiry: past, EVExpiry: past}, dcvExpired},
		{"lapsing exactly now", certcentral.Domain{HasDCVExpiration: true, OVExpiry: now}, dcvExpired},
		{"dates unreadable, API says expired", certcentral.Domain{HasDCVExpiration: true, OVStatus: "expired"}, dcvExpired},
		{"dates unreadable, no words", certcentral.Domain{HasDCVExpiration: true}, dcvValidated},
	}
	for _, tt := range tests {
		if got := dcvState(tt.d, now); got != tt.want {
			t.Errorf("%s: dcvState = %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestPrimaryRole(t *testing.T) {
	tests := []struct {
		roles []certcentral.Role
		want  string
	}{
		{nil, "none"},
		{[]certcentral.Role{{ID: 5, Name: "Standard User"}}, "Standard User"},
		// The glossary's lower-case spelling must not split a role in two.
		{[]certcentral.Role{{ID: 3, Name: "Finance manager"}}, "Finance Manager"},
		{[]certcentral.Role{{ID: 5}, {ID: 1}}, "Administrator"},
		{[]certcentral.Role{{ID: 3}, {ID: 4}}, "Manager"},
		{[]certcentral.Role{{ID: 42, Name: "EV Verifier"}}, "EV Verifier"},
		{[]certcentral.Role{{ID: 42}}, "role_42"},
	}
	for _, tt := range tests {
		if got, _ := primaryRole(tt.roles); got != tt.want {
			t.Errorf("primaryRole(%v) = %q, want %q", tt.roles, got, tt.want)
		}
	}
}

func TestWholeDays(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		then time.Time
		want float64
	}{
		{now, 0},
		{now.Add(-23 * time.Hour), 0},
		{now.Add(-24 * time.Hour), 1},
		{now.Add(-90*24*time.Hour - time.Minute), 90},
		{now.Add(time.Hour), 0}, // clock skew is not a negative age
	} {
		if got := wholeDaysBetween(tt.then, now); got != tt.want {
			t.Errorf("wholeDaysBetween(%s) = %v, want %v", now.Sub(tt.then), got, tt.want)
		}
	}
}

func TestRankedKeepsMostUrgent(t *testing.T) {
	fill := func(r *ranked[string]) {
		r.add("later", 1, 100, 3)
		r.add("pending", 0, math.Inf(1), 9)
		r.add("soon", 1, 10, 5)
		r.add("soon-too", 1, 10, 4)
	}
	r := newRanked[string](3)
	fill(r)
	kept, dropped := r.top()
	want := []string{"pending", "soon-too", "soon"}
	if dropped != 1 || len(kept) != 3 {
		t.Fatalf("kept %v dropped %d", kept, dropped)
	}
	for i := range want {
		if kept[i] != want[i] {
			t.Errorf("kept %v, want %v", kept, want)
			break
		}
	}
	all := newRanked[string](0)
	fill(all)
	if kept, d := all.top(); len(kept) != 4 || d != 0 {
		t.Errorf("limit 0 should keep all: %v %d", kept, d)
	}
}

// TestRankedHoldsOnlyTheCap: the per-item cap bounds memory while the list is read, not only
// the series served at the end: every item used to be held until the sort.
func TestRankedHoldsOnlyTheCap(t *testing.T) {
	r := newRanked[int](100)
	for i := 0; i < 100_000; i++ {
		r.add(i, float64((i*7919)%100_000), 0, int64(i))
		if len(r.items) > 100 {
			t.Fatalf("%d items held after %d adds with a cap of 100", len(r.items), i+1)
		}
	}
	kept, dropped := r.top()
	if dropped != 99_900 || len(kept) != 100 {
		t.Fatalf("kept %d dropped %d", len(kept), dropped)
	}
	for i, v := range kept {
		if (v*7919)%100_000 != i {
			t.Fatalf("kept[%d] has key %d, want the 100 lowest keys in order", i, (v*7919)%100_000)
		}
	}
}

// TestBudgetSharesSum: the collectors' shares of the request budget leave a fifth of it for
// retries and the check command, with every collector enabled.
func TestBudgetSharesSum(t *testing.T) {
	sum := 0.0
	for _, d := range Definitions() {
		if d.BudgetShare <= 0 {
			t.Errorf("%s has no share of the budget", d.Name)
		}
		sum += d.BudgetShare
	}
	if math.Abs(sum-0.8) > 1e-9 {
		t.Errorf("the shares sum to %v, want 0.8", sum)
	}
}
