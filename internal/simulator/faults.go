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

	// Hostile answers: what no CertCentral sends, but a broken proxy, a bug or someone in the
	// middle can. The whole-answer kinds replace the response:

	// FaultEmptyItems streams a list of Count empty objects ({"users":[{},{},...]}): three
	// bytes an item, a million in 3 MB.
	FaultEmptyItems FaultKind = "emptyitems"
	// FaultSmallItems streams, chunked and without Content-Length, a list of Count tiny
	// items with distinct ids, the page object last.
	FaultSmallItems FaultKind = "smallitems"
	// FaultBadHeader answers with a control character in a response header.
	FaultBadHeader FaultKind = "badheader"
	// FaultEchoKey answers an error that echoes the request's key in disguise: 403 JSON with
	// the key lower-cased in the message and cut by one character in the code, or with
	// Variant "html" a 502 HTML page with the key upper-cased and entity-encoded in its title.
	FaultEchoKey FaultKind = "echokey"

	// The list kinds change a normal list answer and combine with each other (and with
	// latency and one other fault); on endpoints without a list they do nothing:

	// FaultTotal makes the page object announce Count items.
	FaultTotal FaultKind = "total"
	// FaultPageLimit serves at most Count items per page, whatever limit was asked for.
	FaultPageLimit FaultKind = "pagelimit"
	// FaultGrowing makes a list that keeps growing: every page holds new items (fresh ids)
	// and announces a total one page past itself.
	FaultGrowing FaultKind = "growing"
	// FaultRepeat answers the first page for every offset.
	FaultRepeat FaultKind = "repeat"
	// FaultEmptyPages answers every page after the first empty, the total unchanged.
	FaultEmptyPages FaultKind = "emptypages"
	// FaultSANs gives each order's certificate Count distinct subject alternative names.
	FaultSANs FaultKind = "sans"
	// FaultBadValues puts values that do not parse into lenient fields: the first items'
	// ids ("abc", 1e308, "NaN"), every user's first role id ("x"), every domain's is_active
	// ("yes") and every order's is_renewed ("N").
	FaultBadValues FaultKind = "badvalues"
	// FaultLoginDates sends users' last_login_date in other plausible formats and as the
	// zero dates that stand for "never" ("0000-00-00 00:00:00", "0001-01-01T00:00:00Z").
	FaultLoginDates FaultKind = "logindates"
)

var faultKinds = []FaultKind{FaultStatus, FaultLatency, FaultHang, FaultTruncated, FaultMalformed, FaultHTML, FaultOversized, FaultReset,
	FaultEmptyItems, FaultSmallItems, FaultBadHeader, FaultEchoKey,
	FaultTotal, FaultPageLimit, FaultGrowing, FaultRepeat, FaultEmptyPages, FaultSANs, FaultBadValues, FaultLoginDates}

// countKinds take a count as their argument.
var countKinds = []FaultKind{FaultEmptyItems, FaultSmallItems, FaultTotal, FaultPageLimit, FaultSANs}

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
	Count    int           // emptyitems, smallitems, total, pagelimit and sans kinds
	Variant  string        // echokey kind: "" (JSON) or "html"
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
	case FaultEchoKey:
		if f.Variant != "" {
			b.WriteString(":" + f.Variant)
		}
	}
	if slices.Contains(countKinds, f.Kind) {
		fmt.Fprintf(&b, ":%d", f.Count)
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
	needArg := f.Kind == FaultStatus || f.Kind == FaultLatency || f.Kind == FaultOversized || slices.Contains(countKinds, f.Kind)
	optArg := f.Kind == FaultHTML || f.Kind == FaultEchoKey
	switch {
	case needArg && !hasArg:
		return bad("kind %s needs an argument (status:503, latency:2s, oversized:20MB, total:1000000)", kind)
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
	case FaultEchoKey:
		if hasArg && arg != "html" {
			return bad("echokey takes no argument or html")
		}
		f.Variant = arg
	}
	if slices.Contains(countKinds, f.Kind) {
		if f.Count, err = strconv.Atoi(arg); err != nil || f.Count < 0 || (f.Kind == FaultPageLimit && f.Count < 1) {
			return bad("count %q must be a whole number (pagelimit at least 1)", arg)
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

// listKinds change a list answer and combine with each other.
var listKinds = []FaultKind{FaultTotal, FaultPageLimit, FaultGrowing, FaultRepeat, FaultEmptyPages, FaultSANs, FaultBadValues, FaultLoginDates}

// pickFaults returns the summed delay of the latency faults that fire for
// ep, the list faults that fire, and the first other fault that fires, if any.
func pickFaults(faults []Fault, ep string) (delay time.Duration, list []*Fault, terminal *Fault) {
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
		if slices.Contains(listKinds, f.Kind) {
			list = append(list, f)
			continue
		}
		if terminal == nil {
			terminal = f
		}
	}
	return delay, list, terminal
}
