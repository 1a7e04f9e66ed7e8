package simulator

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// maxControlBody bounds bodies sent to the control API.
const maxControlBody = 16 << 20

// serveControl is the runtime control API for tests and soak runs. It is
// not part of CertCentral: it needs no key and is neither counted as API
// traffic nor as writes. Keep the simulator on loopback.
//
//	GET  /_sim/faults            -> ["<fault>", ...]
//	PUT  /_sim/faults            <- ["<fault>", ...] (replaces the list)
//	PUT  /_sim/scenario?name=N   swap in a built-in scenario
//	PUT  /_sim/scenario          <- scenario YAML/JSON body
//	GET  /_sim/stats             -> Stats
//	POST /_sim/reset-stats
//	POST /_sim/reset-ratelimit
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	switch path := strings.TrimPrefix(r.URL.Path, "/_sim"); {
	case path == "/faults" && r.Method == http.MethodGet:
		out := []string{}
		for _, f := range s.Faults() {
			out = append(out, f.String())
		}
		controlJSON(w, http.StatusOK, out)
	case path == "/faults" && r.Method == http.MethodPut:
		var in []string
		if err := json.NewDecoder(io.LimitReader(r.Body, maxControlBody)).Decode(&in); err != nil {
			controlError(w, http.StatusBadRequest, "body must be a JSON list of fault strings: "+err.Error())
			return
		}
		faults, err := ParseFaults(in)
		if err != nil {
			controlError(w, http.StatusBadRequest, err.Error())
			return
		}
		s.SetFaults(faults)
		controlJSON(w, http.StatusOK, in)
	case path == "/scenario" && r.Method == http.MethodPut:
		s.putScenario(w, r)
	case path == "/stats" && r.Method == http.MethodGet:
		controlJSON(w, http.StatusOK, s.Stats())
	case path == "/reset-stats" && r.Method == http.MethodPost:
		s.ResetStats()
		w.WriteHeader(http.StatusNoContent)
	case path == "/reset-ratelimit" && r.Method == http.MethodPost:
		s.ResetRateLimits()
		w.WriteHeader(http.StatusNoContent)
	case path == "/faults" || path == "/scenario" || path == "/stats" || path == "/reset-stats" || path == "/reset-ratelimit":
		controlError(w, http.StatusMethodNotAllowed, "method not allowed")
	default:
		controlError(w, http.StatusNotFound, "unknown control path")
	}
}

// putScenario only loads built-in names or an uploaded body, never a path
// on the simulator's disk: the control API has no authentication.
func (s *Server) putScenario(w http.ResponseWriter, r *http.Request) {
	var (
		d   *Dataset
		err error
	)
	now := s.now()
	if name := r.URL.Query().Get("name"); name != "" {
		known := false
		for _, n := range ScenarioNames() {
			known = known || n == name
		}
		if !known {
			controlError(w, http.StatusBadRequest, "unknown scenario "+name+" (built-in: "+strings.Join(ScenarioNames(), ", ")+")")
			return
		}
		d, err = Scenario(name, now)
	} else {
		d, err = LoadScenario(io.LimitReader(r.Body, maxControlBody), now)
	}
	if err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.SetDataset(d)
	if d.Faults != nil {
		s.SetFaults(*d.Faults)
	}
	controlJSON(w, http.StatusOK, map[string]int{"users": len(d.Users), "domains": len(d.Domains), "orders": len(d.Orders), "products": len(d.Products)})
}

func controlJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func controlError(w http.ResponseWriter, status int, msg string) {
	controlJSON(w, status, map[string]string{"error": msg})
}
