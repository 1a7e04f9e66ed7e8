package main

import (
	"os"
	"strings"
	"testing"

	"github.com/alecthomas/kingpin/v2"

	"github.com/certcentral-exporter/certcentral_exporter/collector"
)

// TestReadmeListsEveryFlag keeps the README's flag table in step with the binary: a flag added
// without a line there fails here.
func TestReadmeListsEveryFlag(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	app := kingpin.New(exporterName, "")
	addFlags(app)
	n := 0
	for _, f := range app.Model().Flags {
		if f.Hidden || f.Name == "help" {
			continue
		}
		n++
		name := "`--" + f.Name
		if f.IsBoolFlag() {
			name = "`--[no-]" + f.Name + "`"
		}
		// The flags every collector has share one row, written with <name>.
		for _, d := range collector.Definitions() {
			switch f.Name {
			case "collector." + d.Name:
				name = "`--[no-]collector.<name>`"
			case "collector." + d.Name + ".min-interval":
				name = "`--collector.<name>.min-interval`"
			case "collector." + d.Name + ".check-interval":
				name = "`--collector.<name>.check-interval`"
			}
		}
		if !strings.Contains(string(readme), name) {
			t.Errorf("README.md does not document --%s", f.Name)
		}
	}
	if n < 10 {
		t.Fatalf("only %d flags found: the test does not see the exporter's flags", n)
	}
}
