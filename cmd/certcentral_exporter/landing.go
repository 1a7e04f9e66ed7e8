package main

import (
	"bytes"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/prometheus/common/version"

	"github.com/certcentral-exporter/certcentral_exporter/collector"
	"github.com/certcentral-exporter/certcentral_exporter/internal/accounts"
)

type landingConfig struct {
	set           *accounts.Set
	telemetryPath string
	logger        *slog.Logger
	glances       *glanceCache // nil: a cache of the page's own
}

// accountView is what the landing page shows of one account.
type accountView struct {
	Name, BaseURL, KeySource string
	Labels                   string
	Collectors               []collector.CollectorStatus
	Failing                  int
	Glance                   glance
}

// The landing page shows each collector's last result in words, so that someone opening it
// sees at once what is wrong. It never shows the API key.
var landingTemplate = template.Must(template.New("landing").Funcs(template.FuncMap{
	"ago": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return time.Since(t).Round(time.Second).String() + " ago"
	},
	"dur": func(d time.Duration) string { return d.Round(time.Millisecond).String() },
}).Parse(`{{define "rows"}}{{if .}}<ul class="rows">{{range .}}<li{{if .Urgent}} class="urgent"{{end}}>{{.Name}}: {{.Detail}}</li>{{end}}</ul>{{else}}<p>none</p>{{end}}{{end}}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>certcentral_exporter</title>
<style>
body { font-family: sans-serif; margin: 0; color: #222; }
header { background: #0a4d8c; color: #fff; padding: 0.8em 1.5em; }
header h1 { margin: 0; font-size: 1.4em; }
h2 { font-size: 1.15em; margin: 1.2em 0 0.3em; }
main { padding: 1em 1.5em; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.4em 0.7em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
.ok { color: #1a7f37; font-weight: bold; }
.fail { color: #b3261e; font-weight: bold; }
.pending { color: #8a6d00; font-weight: bold; }
.advice { color: #444; font-size: 0.9em; }
.glance { border: 1px solid #ccc; padding: 0.2em 1em 0.6em; margin: 0.6em 0; background: #fafafa; }
.glance h3 { font-size: 1em; margin: 0.8em 0 0.3em; }
.checklist { list-style: none; padding-left: 0.2em; margin: 0; }
.checklist li { margin: 0.2em 0; }
.cols { display: flex; flex-wrap: wrap; gap: 2em; }
.cols > div { min-width: 18em; flex: 1; }
.rows { margin: 0; padding-left: 1.1em; }
.urgent { color: #b3261e; }
summary { cursor: pointer; margin: 0.5em 0; }
code { background: #f4f4f4; padding: 0 0.2em; }
</style>
</head>
<body>
<header><h1>certcentral_exporter</h1><div>Prometheus exporter for DigiCert CertCentral{{with .Version}}, version {{.}}{{end}}</div></header>
<main>
<p><a href="{{.TelemetryPath}}">Metrics</a> (every account) · <a href="/config">Configuration</a>{{if .Source}} from <code>{{.Source}}</code>{{end}} · {{len .Accounts}} account{{if ne (len .Accounts) 1}}s{{end}}</p>
{{range .Accounts}}<section>
<h2>Account {{.Name}}</h2>
<p>API: <code>{{.BaseURL}}</code> · key from {{.KeySource}}{{with .Labels}} · labels {{.}}{{end}} · <a href="/probe?account={{.Name}}">this account's metrics</a></p>
{{with .Glance}}{{if .HasData}}<div class="glance">
<h3>Can this account order and renew now?</h3>
<ul class="checklist">{{range .Checklist}}<li>{{if .OK}}<span class="ok">&#10004;</span>{{else}}<span class="fail">&#10008;</span>{{end}} {{.What}}{{if and (not .OK) .Fix}}<div class="advice">{{.Fix}}</div>{{end}}</li>{{end}}</ul>
<div class="cols">
<div><h3>Privileged users, riskiest first</h3>{{template "rows" .Users}}</div>
<div><h3>Domains to act on</h3>{{template "rows" .Domains}}</div>
<div><h3>Certificates expiring first</h3>{{template "rows" .Certs}}</div>
</div>
</div>{{else}}<p class="pending">No account data yet: the first collection is running or failing (see below).</p>{{end}}{{end}}
{{if .Failing}}<p class="fail">{{.Failing}} of {{len .Collectors}} collectors failing: see below.</p>{{end}}
<details{{if or .Failing (not .Glance.HasData)}} open{{end}}><summary>Collectors: {{len .Collectors}}{{if .Failing}}, {{.Failing}} failing{{else}}, none failing{{end}}</summary>
<table>
<thead><tr><th>Collector</th><th>Endpoint</th><th>Last result</th><th>Duration</th><th>Requests</th><th>Last success</th><th>Problem and fix</th></tr></thead>
<tbody>
{{range .Collectors}}<tr>
<td>{{.Name}}</td><td><code>{{.Endpoint}}</code></td>
<td>{{if not .Collected}}<span class="pending">not collected yet</span>{{else if .Success}}<span class="ok">OK</span>{{else}}<span class="fail">FAILED: {{.Reason}}</span>{{end}}{{if .Running}} (collecting now){{end}}{{if .Collected}}<br>{{ago .LastAttempt}}{{end}}</td>
<td>{{if .Collected}}{{dur .Duration}}{{end}}</td>
<td>{{if and .Collected (not .Error)}}{{.Requests}}{{end}}</td>
<td>{{ago .LastSuccess}}</td>
<td>{{if .Error}}{{.Error}}<div class="advice"><b>Fix:</b> {{.Advice}}</div>{{end}}</td>
</tr>{{end}}
</tbody>
</table>
</details>
</section>
{{end}}<p>Collections start with the exporter and are refreshed when Prometheus scrapes <a href="{{.TelemetryPath}}">{{.TelemetryPath}}</a> or <code>/probe?account=NAME</code>; this page does not call CertCentral.</p>
</main>
</body>
</html>
`))

// summaryTemplate is the landing page as plain text. text/template does not escape, so it is
// never served as HTML.
var summaryTemplate = texttemplate.Must(texttemplate.New("summary").Parse(`{{define "rows"}}{{range .}}    {{if .Urgent}}! {{else}}  {{end}}{{.Name}}: {{.Detail}}
{{else}}      none
{{end}}{{end}}{{range .Accounts}}Account {{.Name}} ({{.BaseURL}}){{if .Failing}}: {{.Failing}} of {{len .Collectors}} collectors failing{{end}}
{{with .Glance}}{{if .HasData}}  Can it order and renew now?
{{range .Checklist}}    {{if .OK}}ok  {{else}}NO  {{end}}{{.What}}
{{end}}  Privileged users, riskiest first:
{{template "rows" .Users}}  Domains to act on:
{{template "rows" .Domains}}  Certificates expiring first:
{{template "rows" .Certs}}{{else}}  no account data yet
{{end}}{{end}}{{range .Collectors}}{{if and .Collected (not .Success)}}  collector {{.Name}} FAILED: {{.Reason}}: {{.Advice}}
{{end}}{{end}}
{{end}}`))

func newLandingPage(c landingConfig) http.Handler {
	if c.glances == nil {
		c.glances = newGlanceCache()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		cfg, accts := c.set.Snapshot()
		sources := make([]glanceSource, len(accts))
		for i, a := range accts {
			sources[i] = a.Exporter
		}
		glances := c.glances.get(sources, time.Now())
		var views []accountView
		for i, a := range accts {
			v := accountView{Name: a.Config.Name, BaseURL: a.Client.BaseURL(), KeySource: a.KeyInfo.Source,
				Collectors: a.Exporter.Status(), Glance: glances[i]}
			var labels []string
			for _, p := range a.Config.LabelPairs()[1:] {
				labels = append(labels, p[0]+"="+strconv.Quote(p[1]))
			}
			v.Labels = strings.Join(labels, ", ")
			for _, s := range v.Collectors {
				if s.Collected && !s.Success {
					v.Failing++
				}
			}
			views = append(views, v)
		}
		var buf bytes.Buffer
		tmpl, contentType := landingTemplate.Execute, "text/html; charset=utf-8"
		if r.URL.Query().Get("format") == "text" { // the same page for a terminal: make demo prints it
			tmpl, contentType = summaryTemplate.Execute, "text/plain; charset=utf-8"
		}
		err := tmpl(&buf, map[string]any{
			"Version": version.Version, "TelemetryPath": c.telemetryPath, "Source": cfg.Source, "Accounts": views,
		})
		if err != nil {
			c.logger.Error("cannot render the landing page", "err", err)
			http.Error(w, "cannot render the landing page", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write(buf.Bytes())
	})
}
