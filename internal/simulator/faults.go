package simulator

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// FaultKind names a kind of injected failure.
type FaultKind string

// Fault kinds.
const (
	// FaultStatus answers Status with a plausible JSON error body.
	FaultStatus FaultKind = "status"
	// FaultLatency waits Duration, then answers normally. Latency faults
	// add up and combine with one other fault.
	FaultLatency FaultKind = "latency"
	// FaultHang never answers; it returns only when the client gives up.
	FaultHang FaultKind = "hang"
	// FaultTruncated sends the normal answer cut in the middle (the declared
	// Content-Length is not reached and the connection is closed).
	FaultTruncated FaultKind = "truncated"
	// FaultMalformed sends the normal status with a JSON syntax error.
	FaultMalformed FaultKind = "malformed"
	// FaultHTML answers a CDN (Imperva/Incapsula style) HTML error page,
	// status 503 unless Status says otherwise.
	FaultHTML FaultKind = "html"
	// FaultOversized streams a valid-looking JSON body of Size bytes.
	FaultOversized FaultKind = "oversized"
	// FaultReset closes the connection abruptly without any response.
	FaultReset FaultKind = "reset"
)

var faultKinds = []FaultKind{FaultStatus, FaultLatency, FaultHang, FaultTruncated, FaultMalformed, FaultHTML, FaultOversized, FaultReset}

// Fault is one injected failure. Its string form, used by the --fault flag
// and the /_sim/faults admin API, is
//
//	ENDPOINT=KIND[:ARG][@PROBABILITY]
//
// for example "/domain=status:503", "/finance/balance=hang",
// "*=latency:2s@0.3", "/user=oversized:20MB", "/product=html".
type Fault struct {
	// Endpoint is an API path relative to /services/v2 ("/domain"), or "*"
	// for every API request.
	Endpoint string
	Kind     FaultKind
	Status   int           // status and html kinds
	Duration time.Duration // latency kind
	Size     int           // oversized kind, bytes
	// Probability is the chance the fault fires per request; 0 and 1 both
	// mean always.
	Probability float64
}

// String renders the fault in its parseable form.
func (f Fault) String() string {
	var b strings.Builder
	b.WriteString(f.Endpoint)
	b.WriteByte('=')
	b.WriteString(string(f.Kind))
	switch f.Kind {
	case FaultStatus:
		fmt.Fprintf(&b, ":%d", f.Status)
	case FaultHTML:
		if f.Status != 0 && f.Status != 503 {
			fmt.Fprintf(&b, ":%d", f.Status)
		}
	case FaultLatency:
		fmt.Fprintf(&b, ":%s", f.Duration)
	case FaultOversized:
		fmt.Fprintf(&b, ":%d", f.Size)
	}
	if f.Probability > 0 && f.Probability < 1 {
		b.WriteString("@" + strconv.FormatFloat(f.Probability, 'g', -1, 64))
	}
	return b.String()
}

// ParseFault parses the string form described on Fault.
func ParseFault(s string) (Fault, error) {
	bad := func(format string, a ...any) (Fault, error) {
		return Fault{}, fmt.Errorf("fault %q: %s", s, fmt.Sprintf(format, a...))
	}
	ep, spec, ok := strings.Cut(strings.TrimSpace(s), "=")
	if !ok {
		return bad("want ENDPOINT=KIND[:ARG][@PROBABILITY], e.g. /domain=status:503")
	}
	f := Fault{Endpoint: normalizeEndpoint(ep)}
	if f.Endpoint != "*" && !slices.Contains(Endpoints(), f.Endpoint) {
		return bad("unknown endpoint %q (want * or one of %s)", ep, strings.Join(Endpoints(), ", "))
	}
	if i := strings.LastIndexByte(spec, '@'); i >= 0 {
		p, err := strconv.ParseFloat(spec[i+1:], 64)
		if err != nil || p <= 0 || p > 1 {
			return bad("probability %q must be in (0,1]", spec[i+1:])
		}
		if p == 1 {
			p = 0 // canonical "always", so String() round-trips
		}
		f.Probability, spec = p, spec[:i]
	}
	kind, arg, hasArg := strings.Cut(spec, ":")
	f.Kind = FaultKind(kind)
	if !slices.Contains(faultKinds, f.Kind) {
		return bad("unknown kind %q (want one of %v)", kind, faultKinds)
	}
	needArg := f.Kind == FaultStatus || f.Kind == FaultLatency || f.Kind == FaultOversized
	optArg := f.Kind == FaultHTML
	switch {
	case needArg && !hasArg:
		return bad("kind %s needs an argument (status:503, latency:2s, oversized:20MB)", kind)
	case hasArg && !needArg && !optArg:
		return bad("kind %s takes no argument", kind)
	}
	var err error
	switch f.Kind {
	case FaultStatus, FaultHTML:
		f.Status = 503
		if hasArg {
			f.Status, err = strconv.Atoi(arg)
			if err != nil || f.Status < 100 || f.Status > 599 {
				return bad("status %q must be an HTTP status code", arg)
			}
		}
	case FaultLatency:
		if f.Duration, err = time.ParseDuration(arg); err != nil {
			if f.Duration, err = parseSpan(arg); err != nil {
				return bad("latency %q: want a duration like 2s or 150ms", arg)
			}
		}
	case FaultOversized:
		if f.Size, err = ParseSize(arg); err != nil {
			return bad("%v", err)
		}
	}
	return f, nil
}

// ParseFaults parses several fault strings.
func ParseFaults(ss []string) ([]Fault, error) {
	out := make([]Fault, 0, len(ss))
	for _, s := range ss {
		f, err := ParseFault(s)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// normalizeEndpoint accepts "domain", "/domain" and "/services/v2/domain".
func normalizeEndpoint(ep string) string {
	ep = strings.TrimSpace(ep)
	if ep == "*" {
		return ep
	}
	ep = strings.TrimPrefix(ep, apiPrefix)
	if !strings.HasPrefix(ep, "/") {
		ep = "/" + ep
	}
	return ep
}

// ParseSize parses "512", "64KB", "20MB", "1GB" (powers of 1000) and
// "64KiB", "20MiB", "1GiB" (powers of 1024).
func ParseSize(s string) (int, error) {
	units := []struct {
		suffix string
		mult   int
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	num, mult := strings.TrimSpace(s), 1
	for _, u := range units {
		if strings.HasSuffix(strings.ToUpper(num), strings.ToUpper(u.suffix)) {
			num, mult = strings.TrimSpace(num[:len(num)-len(u.suffix)]), u.mult
			break
		}
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("size %q: want e.g. 512, 64KB or 20MB", s)
	}
	return n * mult, nil
}

// pickFaults returns the summed delay of the latency faults that fire for
// ep and the first other fault that fires, if any.
func pickFaults(faults []Fault, ep string) (delay time.Duration, terminal *Fault) {
	for i := range faults {
		f := &faults[i]
		if f.Endpoint != "*" && f.Endpoint != ep {
			continue
		}
		if f.Probability > 0 && f.Probability < 1 && rand.Float64() >= f.Probability {
			continue
		}
		if f.Kind == FaultLatency {
			delay += f.Duration
			continue
		}
		if terminal == nil {
			terminal = f
		}
	}
	return delay, terminal
}
