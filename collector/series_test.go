package collector

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// viaRegistry is what the text of samples was before encodeSamples: const metrics gathered
// by a prometheus.Registry, the account's labels added, encoded by expfmt.
func viaRegistry(t *testing.T, samples []sample, extra [][2]string) (string, error) {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectorFunc(func(ch chan<- prometheus.Metric) {
		for _, s := range samples {
			d := prometheus.NewDesc(s.info.name, s.info.help, s.info.labels, nil)
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, s.value, s.labels...)
		}
	}))
	mfs, gerr := reg.Gather()
	addLabels(mfs, labelPairs(extra))
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	return buf.String(), gerr
}

func joinText(texts []familyText) string {
	var b strings.Builder
	for _, ft := range texts {
		b.Write(ft.header())
		b.Write(ft.body())
	}
	return b.String()
}

// TestEncodeSamplesMatchesRegistry: every collector's data on the demo account, written by
// encodeSamples, is byte for byte what the registry and expfmt wrote, with and without the
// account's labels. Every collector must have data there.
func TestEncodeSamplesMatchesRegistry(t *testing.T) {
	env := newTestEnv(t, "demo")
	for _, extra := range [][][2]string{nil, {{"account", "prod"}, {"team", `a "b" \ c`}}} {
		for _, d := range Definitions() {
			exp := env.exporter(t, []string{d.Name})
			out := newOutput()
			if err := exp.states[0].coll.Collect(context.Background(), out); err != nil {
				t.Fatalf("%s: %v", d.Name, err)
			}
			if len(out.samples) == 0 {
				// Every collector has data on the demo account; one without would not be
				// compared at all.
				t.Errorf("%s: no samples on the demo account", d.Name)
				continue
			}
			want, werr := viaRegistry(t, append([]sample(nil), out.samples...), extra)
			texts, err := encodeSamples(out.samples, extra)
			if (err != nil) != (werr != nil) {
				t.Errorf("%s: error %v, registry's %v", d.Name, err, werr)
			}
			if got := joinText(texts); got != want {
				t.Errorf("%s with labels %v: encodeSamples differs from the registry:\n%s", d.Name, extra, diffLines(want, got))
			}
		}
	}
}

// TestEncodeSamplesEdgeCases: escapes, special values, label names out of order, an account
// label the family has already, and a duplicate series (dropped and reported, the first kept).
func TestEncodeSamplesEdgeCases(t *testing.T) {
	// Local descriptions: newDesc would register these names and labels for the whole
	// process (descInfos, reservedLabels).
	a := newDescInfo("certcentral_zz_test_edge", "Help with \\ backslash\nand newline and \"quotes\".", []string{"zeta", "alpha", "account"})
	b := newDescInfo("certcentral_zz_test_plain", "No labels.", nil)
	samples := []sample{
		{a, 1, []string{"z2", "a\"1\"\n\\", "x"}},
		{a, math.NaN(), []string{"z1", "a1", "x"}},
		{a, math.Inf(1), []string{"z1", "a0", "x"}},
		{a, math.Inf(-1), []string{"z0", "ä", "x"}},
		{a, 1e21, []string{"z0", "", "x"}},
		{a, -1, []string{"z0", "b", "x"}},
		{a, 0.1, []string{"z1", "a1", "x"}}, // duplicate of the NaN series
		{b, 1234567, nil},
		{b, 7, nil}, // duplicate
	}
	extra := [][2]string{{"account", "prod"}, {"env", "eu"}}
	want, werr := viaRegistry(t, append([]sample(nil), samples...), extra)
	texts, err := encodeSamples(samples, extra)
	if err == nil || werr == nil {
		t.Errorf("duplicates not reported: %v, registry %v", err, werr)
	}
	if got := joinText(texts); got != want {
		t.Errorf("encodeSamples differs from the registry:\n%s", diffLines(want, got))
	}
	if !strings.Contains(joinText(texts), `zz_test_edge{account="x",alpha="a1",env="eu",zeta="z1"} NaN`) {
		t.Errorf("the first of two duplicates is not the one kept:\n%s", joinText(texts))
	}
}

// TestGaugeRefusesBadLabels: a label count that does not match, or a value that is not
// UTF-8, is a collector bug that fails its collection, as MustNewConstMetric's panic did.
func TestGaugeRefusesBadLabels(t *testing.T) {
	// An existing one-label description, not a new one registered for the whole process;
	// the good call shows that the panics come from the labels, not from the lookup.
	d := successDesc
	newOutput().gauge(d, 1, "good")
	for name, labels := range map[string][]string{"count": {"a", "b"}, "utf8": {"\xff"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			newOutput().gauge(d, 1, labels...)
		}()
	}
}
