package collector

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
)

// A collection's data is kept as samples (a metric, its label values and value) and turned
// into the text exposition format once, when the collection ends: no prometheus.Metric or
// dto.MetricFamily is built for it. On the large account that is 90,000 series whose label
// pairs, held as protobuf messages, took about 55 MiB of a collection's peak; the samples
// take a third of that, and only until the text is written.

// descInfo is what the text encoder needs of a Desc made by newDesc: prometheus.Desc keeps
// its name, help and label names to itself.
type descInfo struct {
	name, help string
	labels     []string // label names in the order gauge takes their values
	sorted     []int    // indexes of labels sorted by name: the order samples sort in
}

// newDescInfo describes one metric; the label order for sorting is worked out here, once,
// rather than on each of the many comparisons of a sort.
func newDescInfo(name, help string, labels []string) *descInfo {
	sorted := make([]int, len(labels))
	for i := range sorted {
		sorted[i] = i
	}
	slices.SortFunc(sorted, func(x, y int) int { return strings.Compare(labels[x], labels[y]) })
	return &descInfo{name: name, help: help, labels: labels, sorted: sorted}
}

// descInfos maps each *prometheus.Desc made by newDesc to its descInfo.
var descInfos sync.Map

func lookupDesc(d *prometheus.Desc) *descInfo {
	info, ok := descInfos.Load(d)
	if !ok {
		panic(fmt.Sprintf("collector: %s was not made by newDesc", d))
	}
	return info.(*descInfo)
}

// sample is one series of a collection.
type sample struct {
	info   *descInfo
	value  float64
	labels []string // values, in the order of info.labels
}

// encodeSamples sorts the samples into families and series the way a prometheus.Registry
// gathers them (families by name, series by their label values in the order of the label
// names), adds the account's labels to every series (a name the series has already is
// left out), and writes each family in the text format. A series whose name and labels came
// before is dropped and reported in the error, as the registry would; the rest is served.
func encodeSamples(samples []sample, extra [][2]string) ([]familyText, error) {
	slices.SortStableFunc(samples, compareSamples)
	var (
		buf   bytes.Buffer
		spans []familySpan
		dups  []string
		line  []byte
	)
	buf.Grow(estimateTextSize(samples, extra))
	for i := 0; i < len(samples); {
		info := samples[i].info
		j := i + 1
		for j < len(samples) && samples[j].info.name == info.name {
			j++
		}
		if other := familyConflict(samples[i:j]); other != nil {
			dups = append(dups, fmt.Sprintf("%s has two descriptions (%q, %q)", info.name, info.help, other.help))
		}
		layout := labelLayout(info.labels, extra)
		start := buf.Len()
		writeHeader(&buf, info.name, info.help)
		bodyStart := buf.Len()
		for k := i; k < j; k++ {
			s := samples[k]
			if s.info != info && !sameShape(s.info, info) {
				continue // reported above
			}
			if k > i && slices.Equal(s.labels, samples[k-1].labels) {
				dups = append(dups, fmt.Sprintf("%s%v was collected twice", info.name, s.labels))
				continue
			}
			line = appendSeries(line[:0], info.name, layout, s.labels, s.value)
			buf.Write(line)
		}
		spans = append(spans, familySpan{name: info.name, start: start, bodyStart: bodyStart})
		i = j
	}
	var err error
	if len(dups) > 0 {
		err = fmt.Errorf("%d series left out: %s", len(dups), strings.Join(dups[:min(len(dups), 5)], "; "))
	}
	return splitFamilies(buf.Bytes(), spans), err
}

// compareSamples orders by name, then by label values in the order of the sorted label
// names, as the registry's metric sorter does; descriptions of one name are grouped.
func compareSamples(a, b sample) int {
	if a.info != b.info {
		if c := cmp.Or(strings.Compare(a.info.name, b.info.name), strings.Compare(a.info.help, b.info.help),
			slices.Compare(a.info.labels, b.info.labels)); c != 0 {
			return c
		}
	}
	for _, k := range a.info.sorted {
		if c := strings.Compare(a.labels[k], b.labels[k]); c != 0 {
			return c
		}
	}
	return 0
}

// familyConflict returns a description of the same name with another help or other labels
// among samples of one name, nil when they all agree.
func familyConflict(samples []sample) *descInfo {
	first := samples[0].info
	for _, s := range samples[1:] {
		if s.info != first && !sameShape(s.info, first) {
			return s.info
		}
	}
	return nil
}

func sameShape(a, b *descInfo) bool {
	return a.name == b.name && a.help == b.help && slices.Equal(a.labels, b.labels)
}

// labelSlot is one label of a written series: a value of the sample (index >= 0) or an
// account label's constant value.
type labelSlot struct {
	name  string
	index int // into sample.labels, or -1 for value
	value string
}

// labelLayout is the labels of a family's series in the order they are written: the
// sample's and the account's, sorted by name, an account label whose name the family has
// already left out.
func labelLayout(names []string, extra [][2]string) []labelSlot {
	out := make([]labelSlot, 0, len(names)+len(extra))
	for i, n := range names {
		out = append(out, labelSlot{name: n, index: i})
	}
	for _, p := range extra {
		if !slices.Contains(names, p[0]) {
			out = append(out, labelSlot{name: p[0], index: -1, value: p[1]})
		}
	}
	slices.SortStableFunc(out, func(a, b labelSlot) int { return cmp.Compare(a.name, b.name) })
	return slices.CompactFunc(out, func(a, b labelSlot) bool { return a.name == b.name })
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	valueEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

// writeHeader writes a gauge family's HELP and TYPE lines as expfmt does.
func writeHeader(buf *bytes.Buffer, name, help string) {
	buf.WriteString("# HELP ")
	buf.WriteString(name)
	buf.WriteByte(' ')
	_, _ = helpEscaper.WriteString(buf, help)
	buf.WriteString("\n# TYPE ")
	buf.WriteString(name)
	buf.WriteString(" gauge\n")
}

// appendSeries appends one series line as expfmt writes it. Metric and label names are the
// exporter's own and the config's, all of the legacy form that is written bare.
func appendSeries(b []byte, name string, layout []labelSlot, values []string, v float64) []byte {
	b = append(b, name...)
	for i, l := range layout {
		if i == 0 {
			b = append(b, '{')
		} else {
			b = append(b, ',')
		}
		b = append(b, l.name...)
		b = append(b, '=', '"')
		val := l.value
		if l.index >= 0 {
			val = values[l.index]
		}
		b = appendEscaped(b, val)
		b = append(b, '"')
	}
	if len(layout) > 0 {
		b = append(b, '}')
	}
	b = append(b, ' ')
	b = appendFloat(b, v)
	return append(b, '\n')
}

// appendEscaped escapes a label value: backslash, newline and double quote.
func appendEscaped(b []byte, s string) []byte {
	if !strings.ContainsAny(s, "\\\n\"") {
		return append(b, s...)
	}
	return append(b, valueEscaper.Replace(s)...)
}

// appendFloat formats a value as expfmt does.
func appendFloat(b []byte, f float64) []byte {
	switch {
	case f == 1:
		return append(b, '1')
	case f == 0:
		return append(b, '0')
	case f == -1:
		return append(b, "-1"...)
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, +1):
		return append(b, "+Inf"...)
	case math.IsInf(f, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// estimateTextSize guesses the text's length from a sample of the series, so that the
// buffer is allocated about once instead of doubling past the size it needs.
func estimateTextSize(samples []sample, extra [][2]string) int {
	if len(samples) == 0 {
		return 0
	}
	perSeries := 0
	step := max(1, len(samples)/64)
	n := 0
	for i := 0; i < len(samples); i += step {
		s := samples[i]
		perSeries += len(s.info.name) + 24
		for k, v := range s.labels {
			perSeries += len(s.info.labels[k]) + len(v) + 4
		}
		for _, p := range extra {
			perSeries += len(p[0]) + len(p[1]) + 4
		}
		n++
	}
	return perSeries/n*len(samples) + 4096
}

type familySpan struct {
	name             string
	start, bodyStart int
}

// splitFamilies copies the text into one slice of its exact size and cuts it into families.
func splitFamilies(text []byte, spans []familySpan) []familyText {
	all := slices.Clone(text)
	out := make([]familyText, len(spans))
	for i, sp := range spans {
		end := len(all)
		if i+1 < len(spans) {
			end = spans[i+1].start
		}
		out[i] = familyText{name: sp.name, text: all[sp.start:end:end], bodyStart: sp.bodyStart - sp.start}
	}
	return out
}

// checkLabelValues panics, as prometheus.MustNewConstMetric would, on a label count that
// does not match the description or a value that is not UTF-8: both are bugs of a collector,
// which safeCollect turns into that collector's failure.
func checkLabelValues(info *descInfo, values []string) {
	if len(values) != len(info.labels) {
		panic(fmt.Sprintf("%s: %d label values for %d labels %v", info.name, len(values), len(info.labels), info.labels))
	}
	for _, v := range values {
		if !utf8.ValidString(v) {
			panic(fmt.Sprintf("%s: label value %q is not valid UTF-8", info.name, v))
		}
	}
}
