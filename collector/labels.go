package collector

// maxLabelValues bounds how many distinct values one free-text label (a request type, a
// validation type, a status word) may take in one collection. CertCentral uses a handful;
// the bound only matters against a broken or hostile answer, whose other values are folded
// into "other" instead of becoming thousands of series.
const maxLabelValues = 50

// boundedLabel hands out label values for one label, at most limit distinct ones.
type boundedLabel struct {
	seen  map[string]bool
	limit int
}

func newBoundedLabel() *boundedLabel {
	return &boundedLabel{seen: map[string]bool{}, limit: maxLabelValues}
}

// value returns s (fallback when s is empty), or "other" once limit distinct values were
// handed out and s is not one of them.
func (b *boundedLabel) value(s, fallback string) string {
	s = labelOr(s, fallback)
	if b.seen[s] {
		return s
	}
	if len(b.seen) >= b.limit {
		return "other"
	}
	b.seen[s] = true
	return s
}
