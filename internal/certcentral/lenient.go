package certcentral

import "time"

// note appends field to problems when the value was present but unreadable: the object is
// kept and the collector counts the value in certcentral_collector_unparsed_values. It is the
// one way the decoders name a flex value in Problems (flexInt.identity for ids).
func (f flexInt) note(problems *[]string, field string) {
	if f.Bad {
		*problems = append(*problems, field)
	}
}
func (f flexBool) note(problems *[]string, field string) {
	if f.Bad {
		*problems = append(*problems, field)
	}
}
func (f flexString) note(problems *[]string, field string) {
	if f.Bad {
		*problems = append(*problems, field)
	}
}

// parseOptionalTime parses raw with parse; an empty raw is absent (zero time), one that does
// not parse is zero and named in problems.
func parseOptionalTime(raw string, parse func(string) (time.Time, error), problems *[]string, field string) time.Time {
	if raw == "" {
		return time.Time{}
	}
	t, err := parse(raw)
	if err != nil {
		*problems = append(*problems, field)
		return time.Time{}
	}
	return t
}
