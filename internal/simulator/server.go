package simulator

import (
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// apiPrefix is where the Services API lives on the real host.
const apiPrefix = "/services/v2"

// Options configures a Server.
type Options struct {
	// Keys are the accepted API keys. With none, every API request is 403.
	Keys    []Key
	Dataset *Dataset
	// Now is the clock for rendering and rate limiting; default time.Now.
	Now func() time.Time
	// Latency is added to every API request.
	Latency time.Duration
	// RateLimit defaults to DigiCert's limits (see DefaultWindows).
	RateLimit RateLimit
	Faults    []Fault
	// Logger gets one debug line per API request; default discards.
	Logger *slog.Logger
}

// Server is the simulated CertCentral. It serves the API under
// /services/v2, Prometheus metrics on /metrics and a control API under
// /_sim/. It is safe for concurrent use.
type Server struct {
	now     func() time.Time
	latency time.Duration
	logger  *slog.Logger
	keys    map[string]Key
	limiter *rateLimiter
	stats   *stats
	metrics http.Handler

	mu     sync.RWMutex
	ds     *Dataset
	faults []Fault
}

// New builds a Server. A nil Dataset serves an empty account.
func New(opts Options) *Server {
	s := &Server{
		now: opts.Now, latency: opts.Latency, logger: opts.Logger,
		keys:    map[string]Key{},
		limiter: newRateLimiter(opts.RateLimit),
		stats:   newStats(),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	for _, k := range opts.Keys {
		s.keys[k.Value] = k
	}
	s.metrics = promhttp.HandlerFor(s.stats.reg, promhttp.HandlerOpts{})
	s.SetDataset(opts.Dataset)
	faults := opts.Faults
	if opts.Dataset != nil && opts.Dataset.Faults != nil {
		// The scenario's faults first, then those of the options (the command line).
		faults = append(slices.Clone(*opts.Dataset.Faults), opts.Faults...)
	}
	s.SetFaults(faults)
	return s
}

// SetDataset swaps the served dataset. The server keeps its own sorted
// copy of the slices, so the caller's ordering is left alone.
func (s *Server) SetDataset(d *Dataset) {
	if d == nil {
		d = &Dataset{Account: defaultAccount(), Balance: Balance{Currency: "USD"}}
	}
	c := sortedCopy(d)
	s.mu.Lock()
	s.ds = c
	s.mu.Unlock()
}

// Dataset returns the dataset being served (sorted by id). Treat it as
// read-only.
func (s *Server) Dataset() *Dataset {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.ds
}

// SetFaults replaces the injected faults.
func (s *Server) SetFaults(f []Fault) {
	c := slices.Clone(f)
	s.mu.Lock()
	s.faults = c
	s.mu.Unlock()
}

// Faults returns the injected faults.
func (s *Server) Faults() []Fault {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.faults)
}

// acceptsKey says whether key is one of the server's keys.
func (s *Server) acceptsKey(key string) bool {
	_, ok := s.keys[key]
	return ok
}

// Stats returns the counters since start or the last ResetStats.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// ResetStats zeroes Stats (the Prometheus counters stay monotonic).
func (s *Server) ResetStats() { s.stats.reset() }

// ResetRateLimits forgets every key's request history.
func (s *Server) ResetRateLimits() { s.limiter.reset() }

// ServeHTTP routes API, metrics and control requests.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/metrics":
		s.metrics.ServeHTTP(w, r)
	case strings.HasPrefix(p, "/_sim/"):
		s.serveControl(w, r)
	case p == "/":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("CertCentral simulator\n\nAPI: " + apiPrefix + strings.Join(Endpoints(), ", "+apiPrefix) +
			"\nMetrics: /metrics\nControl: /_sim/stats, /_sim/faults, /_sim/scenario, /_sim/reset-stats\n"))
	default:
		s.serveAPI(w, r)
	}
}

// serveAPI runs one API request through latency, write refusal, faults,
// routing, authentication, rate limiting and permissions, in that order.
// Infrastructure faults come before authentication because in reality the
// CDN in front of the API fails before DigiCert's application sees the key.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ep, known := "unknown", false
	if rel, ok := strings.CutPrefix(r.URL.Path, apiPrefix); ok && slices.Contains(Endpoints(), rel) {
		ep, known = rel, true
	}
	write := r.Method != http.MethodGet && r.Method != http.MethodHead
	rec := &statusRecorder{ResponseWriter: w}
	var limited, reset bool
	defer func() {
		code := rec.code()
		if reset {
			code = "reset"
		}
		s.stats.record(ep, r.Method, code, write, limited)
		// Never log the key or the query (which could carry it by mistake).
		s.logger.Debug("api request", "method", r.Method, "endpoint", ep, "code", code, "duration", time.Since(start))
	}()

	ctx := r.Context()
	if !sleepCtx(ctx, s.latency) {
		return
	}
	if write {
		// The exporter must never write; refuse and count (see Stats.Writes).
		rec.Header().Set("Allow", "GET, HEAD")
		writeJSON(rec, errorResponse(http.StatusMethodNotAllowed, codeMethodNotAllowed, msgMethodNotAllowed))
		return
	}
	s.mu.RLock()
	ds, faults := s.ds, s.faults
	s.mu.RUnlock()
	delay, listFaults, fault := pickFaults(faults, ep)
	if !sleepCtx(ctx, delay) {
		return
	}
	if fault != nil && writePreFault(rec, r, ep, fault) {
		reset = fault.Kind == FaultReset
		return
	}
	q := r.URL.Query()
	if len(listFaults) > 0 {
		r = r.Clone(ctx)
		r.URL.RawQuery = adjustListQuery(listFaults, r.URL.Query()).Encode()
	}
	resp, lim := s.answer(r, ds, ep, known)
	limited = lim
	if len(listFaults) > 0 && resp.status == http.StatusOK {
		resp = mangleList(listFaults, ep, q, resp)
	}
	if fault != nil {
		writeMangled(rec, fault, resp)
		return
	}
	writeJSON(rec, resp)
}

// answer computes the normal response; limited reports a rate-limit refusal.
func (s *Server) answer(r *http.Request, ds *Dataset, ep string, known bool) (resp response, limited bool) {
	// Routing comes first, as in any router-then-middleware stack: an
	// unknown path is 404 whatever the key, and costs no rate budget.
	if !known {
		return errorResponse(http.StatusNotFound, codeNotFound, msgNotFound), false
	}
	key := r.Header.Get("X-DC-DEVKEY")
	k, ok := s.keys[key]
	if key == "" || !ok {
		return errorResponse(http.StatusForbidden, codeInvalidKey, msgInvalidKey), false
	}
	uid := k.UserID
	if uid == 0 {
		uid = ds.KeyOwnerID
	}
	u := findUser(ds, uid)
	if u == nil {
		// A key whose user is gone (e.g. after a scenario swap) is dead.
		return errorResponse(http.StatusForbidden, codeInvalidKey, msgInvalidKey), false
	}
	now := s.now()
	// Checked only after the key is known valid, so garbage keys never
	// spend a real key's budget.
	if !s.limiter.allow(key, now) {
		return errorResponse(http.StatusTooManyRequests, codeRateLimited, msgRateLimited), true
	}
	if !restrictionAllows(k.Restriction, ep) || !roleAllows(u, ep) {
		return errorResponse(http.StatusForbidden, codeMissingPermission, msgMissingPermission), false
	}
	q := r.URL.Query()
	switch ep {
	case EndpointUser:
		return renderUsers(ds, q), false
	case EndpointUserMe:
		return renderUserMe(ds, u), false
	case EndpointDomain:
		return renderDomains(ds, q, now), false
	case EndpointProduct:
		return renderProducts(ds), false
	case EndpointBalance:
		return renderBalance(ds), false
	case EndpointOrders:
		return renderOrders(ds, q, now), false
	case EndpointOrganization:
		return renderOrganizations(ds, q, now), false
	case EndpointRequest:
		return renderRequests(ds, q), false
	case EndpointKey:
		return renderAPIKeys(ds, q), false
	default: // EndpointAccount
		return renderAccount(ds), false
	}
}

// findUser binary-searches the id-sorted users.
func findUser(ds *Dataset, id int) *User {
	i, ok := slices.BinarySearchFunc(ds.Users, id, func(u User, id int) int { return u.ID - id })
	if !ok {
		return nil
	}
	return &ds.Users[i]
}
