package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/alecthomas/kingpin/v2"

	"github.com/certcentral-exporter/certcentral_exporter/collector"
)

// checkFlags are the exporter's flags that change what check does, in the order shown.
var checkFlags = []string{
	"config.file", "certcentral.url", "certcentral.api-key-file", "certcentral.request-timeout",
	"certcentral.collection-timeout", "certcentral.max-body-bytes", "collector.balance.division-id",
}

// writeCheckHelp is check's --help: its own flags first, then only the exporter's flags that
// check uses, the collectors' switches on one line.
func writeCheckHelp(w io.Writer, app *kingpin.Application, check *kingpin.CmdClause) {
	m := check.Model()
	var b strings.Builder
	fmt.Fprintf(&b, "usage: %s check [<flags>]\n\n%s\n\nExit status: 0 every enabled collector can read; 1 some cannot; 2 nothing could be checked\n(flags, key source, URL, or CertCentral unreachable).\n\nFlags:\n", exporterName, m.Help)
	flag := func(f *kingpin.FlagModel) {
		name := "--" + f.Name
		if f.IsBoolFlag() {
			name = "--[no-]" + f.Name
		} else {
			name += "=" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(f.Name[strings.LastIndex(f.Name, ".")+1:]))
		}
		def := ""
		if len(f.Default) > 0 && f.Default[0] != "" {
			def = " (default " + strings.Join(f.Default, ",") + ")"
		}
		fmt.Fprintf(&b, "  %s\n      %s%s\n", name, f.Help, def)
	}
	for _, f := range m.Flags {
		flag(f)
	}
	model := app.Model() // about 150 flags: built once, not for each name
	for _, name := range checkFlags {
		for _, f := range model.Flags {
			if f.Name == name {
				flag(f)
			}
		}
	}
	var switches []string
	for _, d := range collector.Definitions() {
		state := "on"
		if d.DefaultOff {
			state = "off"
		}
		switches = append(switches, d.Name+" ("+state+")")
	}
	fmt.Fprintf(&b, "  --[no-]collector.<name>\n      Check this collector or not: %s.\n", strings.Join(switches, ", "))
	fmt.Fprintf(&b, "\n%s --help-long lists every flag of the exporter.\n", exporterName)
	_, _ = io.WriteString(w, b.String())
}
