package simulator

import (
	"fmt"
	"strconv"
	"strings"
)

// Money is an amount in cents. Integer cents keep arithmetic such as
// total_available_funds exact, which float amounts would not.
type Money int64

// String renders the amount the way /finance/balance does: two decimals,
// a leading minus for negative amounts ("-1000.70").
func (m Money) String() string {
	sign := ""
	v := int64(m)
	if v < 0 {
		sign = "-"
		v = -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// ParseMoney parses "454.00", "-1000.7", "12" into cents. More than two
// decimals is an error rather than a silent rounding.
func ParseMoney(s string) (Money, error) {
	s = strings.TrimSpace(s)
	orig := s
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || (hasFrac && (frac == "" || len(frac) > 2)) {
		return 0, fmt.Errorf("invalid amount %q (want e.g. \"454.00\")", orig)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 {
		return 0, fmt.Errorf("invalid amount %q (want e.g. \"454.00\")", orig)
	}
	var f int64
	if hasFrac {
		if len(frac) == 1 {
			frac += "0"
		}
		f, err = strconv.ParseInt(frac, 10, 64)
		if err != nil || f < 0 {
			return 0, fmt.Errorf("invalid amount %q (want e.g. \"454.00\")", orig)
		}
	}
	v := w*100 + f
	if neg {
		v = -v
	}
	return Money(v), nil
}

// UnmarshalYAML accepts both quoted and bare amounts in scenario files.
func (m *Money) UnmarshalYAML(unmarshal func(any) error) error {
	var s string
	if err := unmarshal(&s); err != nil {
		return err
	}
	v, err := ParseMoney(s)
	if err != nil {
		return err
	}
	*m = v
	return nil
}
