// Package dashboards reads the Grafana dashboards shipped in this directory, so that the tests
// and the end-to-end check can walk their panels, queries and variables the way Grafana would.
// Only the fields those checks need are modelled; Grafana's JSON has many more.
package dashboards

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Ref is a data source reference. Old dashboards used a bare data source name instead of an
// object; it is read into UID so that a check can still see it is not the variable.
type Ref struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// UnmarshalJSON accepts both {"type":..,"uid":..} and a legacy bare string.
func (r *Ref) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err == nil {
		r.UID = name
		return nil
	}
	type plain Ref
	return json.Unmarshal(b, (*plain)(r))
}

// Dashboard is the part of a Grafana dashboard JSON model the checks use.
type Dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []Panel `json:"panels"`
	Templating    struct {
		List []Variable `json:"list"`
	} `json:"templating"`
}

// Panel is one panel; rows carry their collapsed panels in Panels.
type Panel struct {
	ID          int         `json:"id"`
	Type        string      `json:"type"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Datasource  *Ref        `json:"datasource"`
	Targets     []Target    `json:"targets"`
	FieldConfig FieldConfig `json:"fieldConfig"`
	GridPos     *struct {
		H, W, X, Y int
	} `json:"gridPos"`
	Panels          []Panel          `json:"panels"`
	Transformations []Transformation `json:"transformations"`
}

// Transformation is one of a panel's Grafana transformations (merge, sortBy, organize, ...);
// only the organize options that name, hide and rename columns are modelled.
type Transformation struct {
	ID      string `json:"id"`
	Options struct {
		ExcludeByName map[string]bool   `json:"excludeByName"`
		RenameByName  map[string]string `json:"renameByName"`
	} `json:"options"`
}

// FieldConfig holds a panel's field defaults (unit, thresholds).
type FieldConfig struct {
	Defaults struct {
		Unit       string      `json:"unit"`
		Thresholds *Thresholds `json:"thresholds"`
	} `json:"defaults"`
}

// Thresholds are a panel's colour steps; the first step has no value (it is the base).
type Thresholds struct {
	Mode  string `json:"mode"`
	Steps []struct {
		Color string   `json:"color"`
		Value *float64 `json:"value"`
	} `json:"steps"`
}

// Target is one Prometheus query of a panel.
type Target struct {
	RefID      string `json:"refId"`
	Expr       string `json:"expr"`
	Instant    bool   `json:"instant"`
	Range      bool   `json:"range"`
	Format     string `json:"format"`
	Hide       bool   `json:"hide"`
	Datasource *Ref   `json:"datasource"`
}

// Variable is a template variable.
type Variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Label      string          `json:"label"`
	Regex      string          `json:"regex"`
	AllValue   string          `json:"allValue"`
	IncludeAll bool            `json:"includeAll"`
	Multi      bool            `json:"multi"`
	Datasource *Ref            `json:"datasource"`
	RawQuery   json.RawMessage `json:"query"`
}

// Query returns the variable's query text, whether Grafana stored it as a string or as an
// object with a "query" field (newer query editors).
func (v Variable) Query() string {
	var s string
	if err := json.Unmarshal(v.RawQuery, &s); err == nil {
		return s
	}
	var obj struct {
		Query string `json:"query"`
	}
	if err := json.Unmarshal(v.RawQuery, &obj); err == nil {
		return obj.Query
	}
	return ""
}

// File is a dashboard and the file it came from.
type File struct {
	Path      string
	Dashboard Dashboard
}

// Load reads every *.json file in dir, sorted by name.
func Load(dir string) ([]File, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("listing dashboards in %s: %w", dir, err)
	}
	sort.Strings(paths)
	files := make([]File, 0, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("reading dashboard: %w", err)
		}
		var d Dashboard
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, fmt.Errorf("parsing dashboard %s: %w", p, err)
		}
		files = append(files, File{Path: p, Dashboard: d})
	}
	return files, nil
}

// AllPanels returns every panel, rows included, with the panels of collapsed rows after
// their row.
func (d Dashboard) AllPanels() []Panel {
	var out []Panel
	var walk func([]Panel)
	walk = func(ps []Panel) {
		for _, p := range ps {
			out = append(out, p)
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

// Variable returns the template variable called name.
func (d Dashboard) Variable(name string) (Variable, bool) {
	for _, v := range d.Templating.List {
		if v.Name == name {
			return v, true
		}
	}
	return Variable{}, false
}

// varRef matches Grafana's variable syntaxes: ${name}, ${name:format}, [[name]], $name. A bare
// $ followed by a digit is not one: it is a regular expression's group ($1 in label_replace),
// which Grafana leaves alone because no variable has that name.
var varRef = regexp.MustCompile(`\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$([A-Za-z_]\w*)`)

// Expand replaces the variables named in values; others are left as they are.
func Expand(s string, values map[string]string) string {
	return varRef.ReplaceAllStringFunc(s, func(m string) string {
		sub := varRef.FindStringSubmatch(m)
		name := sub[1] + sub[2] + sub[3]
		if v, ok := values[name]; ok {
			return v
		}
		return m
	})
}

// References returns the names of the variables s uses.
func References(s string) []string {
	var out []string
	for _, sub := range varRef.FindAllStringSubmatch(s, -1) {
		out = append(out, sub[1]+sub[2]+sub[3])
	}
	return out
}

// VariableQuery is a Prometheus variable query split into what Grafana does with it.
type VariableQuery struct {
	Kind  string // "label_values" or "query_result"
	Expr  string // the PromQL expression (the series selector for label_values)
	Label string // the label whose values are listed (label_values only)
}

var (
	labelValuesRe = regexp.MustCompile(`^label_values\((.*),\s*(\w+)\s*\)$`)
	queryResultRe = regexp.MustCompile(`^query_result\((.*)\)$`)
)

// ParseVariableQuery understands the two Prometheus variable query forms the dashboards use.
func ParseVariableQuery(q string) (VariableQuery, error) {
	q = strings.TrimSpace(q)
	if m := labelValuesRe.FindStringSubmatch(q); m != nil {
		return VariableQuery{Kind: "label_values", Expr: strings.TrimSpace(m[1]), Label: m[2]}, nil
	}
	if m := queryResultRe.FindStringSubmatch(q); m != nil {
		return VariableQuery{Kind: "query_result", Expr: strings.TrimSpace(m[1])}, nil
	}
	return VariableQuery{}, fmt.Errorf("unsupported variable query %q (want label_values(...) or query_result(...))", q)
}
