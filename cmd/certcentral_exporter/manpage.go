package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/version"
)

// kingpinManHeader is the start of kingpin's man page template. It puts the whole multi-line
// --version text on the .TH line (which breaks the page) and only the bare name under NAME
// (which apropos, man -k and lintian reject).
const kingpinManHeader = `.TH {{.App.Name}} 1 {{.App.Version}} "{{.App.Author}}"
.SH "NAME"
{{.App.Name}}
`

// manPageTemplate is kingpin's template for --help-man (the man page the packages ship) with a
// one-line title (name, date, version) and a "name \- summary" NAME line, and each flag's
// environment variable in its description. When kingpin's template no longer starts as
// expected it is returned unchanged; TestManPage notices.
func manPageTemplate(name, summary string) string {
	tmpl := kingpin.ManPageTemplate
	if !strings.Contains(tmpl, kingpinManHeader) {
		return tmpl
	}
	date := version.BuildDate
	if len(date) >= len("2006-01-02") {
		date = date[:len("2006-01-02")]
	}
	source := strings.TrimSpace(name + " " + version.Version)
	header := fmt.Sprintf(".TH %s 1 %q %q \"User Commands\"\n.SH NAME\n%s \\- %s\n",
		strings.ToUpper(name), date, source, name, summary)
	// Text/template actions cannot appear in the values: they come from the build, not input,
	// but a stray "{{" would make kingpin's template fail to parse.
	header = strings.NewReplacer("{{", "", "}}", "").Replace(header)
	tmpl = strings.Replace(tmpl, kingpinManHeader, header, 1)
	return strings.Replace(tmpl, "\\fR\n{{.Help}}\n", "\\fR\n{{.HelpWithEnvar}}\n", 1)
}

// moduleVersion is the version of a binary built without the Makefile's or goreleaser's
// -ldflags, from the module information Go records: "0.1.0" after `go install ...@v0.1.0`, a
// pseudo-version after @latest without a tag. A build inside the repository ("(devel)") has
// none.
func moduleVersion(info *debug.BuildInfo, ok bool) string {
	if !ok || info == nil || info.Main.Version == "" || info.Main.Version == "(devel)" {
		return ""
	}
	return strings.TrimPrefix(info.Main.Version, "v")
}
