package certcentral

import (
	"bytes"
	"encoding/json"
	"time"
)

// lenient wraps one of the flex types so that a value it cannot read marks the field as
// unparsed instead of failing: encoding/json abandons the whole item (and with it the list)
// at the first error a custom UnmarshalJSON returns, while a wrong JSON type only costs the
// field. The decoders of the organization, request and API key lists use it for every
// non-string field, so that one odd value never drops an object.
type lenient[T any, P interface {
	*T
	json.Unmarshaler
}] struct {
	Value T
	Set   bool // the key was present with a readable, non-null value
	Bad   bool // the key was present but its value could not be read
}

func (l *lenient[T, P]) UnmarshalJSON(b []byte) error {
	var v T
	if err := P(&v).UnmarshalJSON(b); err != nil {
		*l = lenient[T, P]{Bad: true}
		return nil
	}
	*l = lenient[T, P]{Value: v, Set: !bytes.Equal(bytes.TrimSpace(b), []byte("null"))}
	return nil
}

type (
	lenientInt    = lenient[flexInt, *flexInt]
	lenientBool   = lenient[flexBool, *flexBool]
	lenientString = lenient[flexString, *flexString]
)

// note appends field to problems when the value was present but unreadable.
func (l lenient[T, P]) note(problems *[]string, field string) {
	if l.Bad {
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
