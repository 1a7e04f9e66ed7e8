package simulator

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseRelTime turns a scenario time into an instant relative to now.
// Scenario files use relative times so that a file keeps meaning the same
// situation ("expires in 5 days") whenever it is loaded.
//
// Accepted forms:
//
//	never              -> nil (only where a field may be unset)
//	now
//	120d ago           -> now - 120 days   (units d, h, m, s; combinable: 1d12h ago)
//	in 20d             -> now + 20 days
//	2024-06-15         -> that UTC midnight
//	2024-06-15T10:00:00Z (any RFC 3339 timestamp)
func ParseRelTime(s string, now time.Time) (*time.Time, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "never":
		return nil, nil
	case s == "now":
		t := now
		return &t, nil
	case strings.HasPrefix(s, "in "):
		d, err := parseSpan(strings.TrimSpace(s[3:]))
		if err != nil {
			return nil, fmt.Errorf("time %q: %w", s, err)
		}
		t := now.Add(d)
		return &t, nil
	case strings.HasSuffix(s, " ago"):
		d, err := parseSpan(strings.TrimSpace(strings.TrimSuffix(s, " ago")))
		if err != nil {
			return nil, fmt.Errorf("time %q: %w", s, err)
		}
		t := now.Add(-d)
		return &t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return &t, nil
	}
	if t, err := time.Parse(layoutDate, s); err == nil {
		return &t, nil
	}
	return nil, fmt.Errorf("time %q: want \"never\", \"now\", \"<N><d|h|m|s> ago\", \"in <N><d|h|m|s>\", YYYY-MM-DD or RFC 3339", s)
}

// parseSpan parses "120d", "1d12h", "90m". time.ParseDuration has no day
// unit, and days are what scenario authors think in.
func parseSpan(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	var total time.Duration
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) {
			return 0, fmt.Errorf("bad duration %q: want <number><d|h|m|s>", s)
		}
		n, err := strconv.Atoi(s[:i])
		if err != nil {
			return 0, fmt.Errorf("bad duration %q: %w", s, err)
		}
		var unit time.Duration
		switch s[i] {
		case 'd':
			unit = day
		case 'h':
			unit = time.Hour
		case 'm':
			unit = time.Minute
		case 's':
			unit = time.Second
		default:
			return 0, fmt.Errorf("bad duration unit %q: want d, h, m or s", s[i])
		}
		total += time.Duration(n) * unit
		s = s[i+1:]
	}
	return total, nil
}
