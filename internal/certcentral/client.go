// Package certcentral is a read-only client for the DigiCert CertCentral Services API v2.
//
// It knows the API's quirks as really observed (see docs/certcentral-api.md): absent keys,
// money and flags as strings, several date formats, Mountain Time dates, omitted empty lists,
// 403 for a bad key. It knows nothing of Prometheus: callers observe requests through the
// Observer interface and classify failures through Kind.
package certcentral

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Base URLs of the two CertCentral regions. An account lives in one of them and its keys do
// not work against the other.
const (
	USBaseURL = "https://www.digicert.com/services/v2"
	EUBaseURL = "https://certcentral.digicert.eu/services/v2"
)

// Defaults chosen from the reference: 1000 is the documented page maximum. A page of 1000 of
// the simulator's orders is 0.7 MB; one order with 250 SANs of 47 characters is 13 KB, so
// even 1000 of those (13 MB) fit in 32 MiB, which still stops a runaway body.
const (
	DefaultPageSize        = 1000
	DefaultPageConcurrency = 4
	DefaultMaxBodyBytes    = 32 << 20
	// MaxValueBytes caps one JSON value of a list body (an item, the page object, an unknown
	// field), and a whole object body. json.Decoder keeps the value it is decoding in memory
	// and grows its buffer by doubling, so without this cap one giant value would cost about
	// twice the body cap per request in flight. A list item is a few kilobytes (an order
	// with 250 SANs 13 KB).
	MaxValueBytes         = 4 << 20
	DefaultMaxRetries     = 2
	DefaultRequestTimeout = 30 * time.Second
)

// Observer is told about every HTTP attempt, so that callers can count requests.
// status is 0 when no answer arrived; kind is "" on success. A call that never left because
// the request budget or the context ran out first is reported with status 0, duration 0 and
// kind KindBudgetExhausted, KindTimeout or KindCanceled.
type Observer interface {
	ObserveRequest(endpoint string, status int, kind Kind, duration time.Duration)
}

// Limiter spends the client's request budget. Wait blocks until one request may be sent or
// returns an error when that cannot happen before ctx ends.
type Limiter interface {
	Wait(ctx context.Context) error
}

// Config configures a Client. Only APIKey is required.
type Config struct {
	BaseURL         string
	APIKey          string
	UserAgent       string
	HTTPClient      *http.Client // its Timeout bounds one request; defaults to DefaultRequestTimeout
	PageSize        int
	PageConcurrency int // pages after the first fetched at once; 1 fetches one page at a time
	MaxBodyBytes    int64
	MaxRetries      int // extra attempts on 5xx and connection errors; negative disables retries
	Limiter         Limiter
	Observer        Observer
	// AllowInsecureHTTP accepts a plain http:// base URL on a host other than this machine,
	// over which the key travels in cleartext (a TLS-terminating proxy on a trusted network).
	AllowInsecureHTTP bool
}

// Client is safe for concurrent use.
type Client struct {
	base   *url.URL
	cfg    Config
	http   *http.Client
	secret redactor
}

// New validates cfg and returns a client.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = USBaseURL
	}
	base, err := ParseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if base.Scheme == "http" && !cfg.AllowInsecureHTTP && !isLoopbackHost(base.Hostname()) {
		return nil, fmt.Errorf("CertCentral base URL %s: %w: use https://", base, ErrInsecureURL)
	}
	if err := ValidateKey(cfg.APIKey); err != nil {
		return nil, err
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "certcentral_exporter"
	}
	if cfg.PageSize <= 0 || cfg.PageSize > DefaultPageSize {
		cfg.PageSize = DefaultPageSize
	}
	if cfg.PageConcurrency <= 0 {
		cfg.PageConcurrency = DefaultPageConcurrency
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = DefaultMaxRetries
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: DefaultRequestTimeout}
	}
	// Never follow a redirect: a redirect would be the CDN or a wrong base URL, and following
	// it could carry the key header to another host.
	noRedirect := *hc
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{base: base, cfg: cfg, http: &noRedirect, secret: newRedactor(cfg.APIKey)}, nil
}

// ParseBaseURL checks that s is an absolute http(s) URL and strips a trailing slash.
func ParseBaseURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(s), "/"))
	if err != nil {
		return nil, fmt.Errorf("invalid CertCentral base URL %q: %w", s, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("invalid CertCentral base URL %q: want an absolute https:// URL such as %s", s, USBaseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("invalid CertCentral base URL %q: no query, fragment or credentials allowed", s)
	}
	return u, nil
}

// ErrInsecureURL refuses a plain http:// base URL on another host: every request carries the
// API key in a header, which would cross the network in cleartext.
var ErrInsecureURL = errors.New("plain http:// to another host would send the API key across the network in cleartext")

// isLoopbackHost says whether host is this machine (where plain HTTP never leaves it).
func isLoopbackHost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// InsecureHTTP reports whether the client sends the key over plain HTTP to another host,
// as AllowInsecureHTTP allowed.
func (c *Client) InsecureHTTP() bool {
	return c.base.Scheme == "http" && !isLoopbackHost(c.base.Hostname())
}

// ValidateKey refuses keys that cannot be right. The message never repeats the key.
func ValidateKey(key string) error {
	if key == "" {
		return errors.New("the API key is empty")
	}
	if strings.ContainsAny(key, " \t\r\n") {
		return errors.New("the API key contains white space: copy it again from CertCentral (Automation > API Keys) as one piece")
	}
	for _, r := range key {
		if r < 0x21 || r > 0x7e {
			return errors.New("the API key contains a character that cannot be sent in an HTTP header")
		}
	}
	return nil
}

// BaseURL returns the base URL the client talks to.
func (c *Client) BaseURL() string { return c.base.String() }

// get sends one GET (with retries) and hands a successful JSON body to decode.
func (c *Client) get(ctx context.Context, endpoint string, query url.Values, decode func(io.Reader) error) error {
	u := *c.base
	u.Path = c.base.Path + endpoint
	u.RawQuery = query.Encode()
	target := u.String()

	for attempt := 0; ; attempt++ {
		err := c.attempt(ctx, endpoint, target, decode)
		if err == nil {
			return nil
		}
		kind := KindOf(err)
		if attempt >= c.cfg.MaxRetries || !retryable(kind) {
			return err
		}
		backoff := time.Duration(200<<attempt)*time.Millisecond + rand.N(100*time.Millisecond)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < 2*backoff+time.Second {
			return err // another attempt could not finish in time
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(backoff):
		}
	}
}

func (c *Client) attempt(ctx context.Context, endpoint, target string, decode func(io.Reader) error) (err error) {
	fail := func(kind Kind, status int, code, msg string, cause error) error {
		return &Error{Kind: kind, Endpoint: endpoint, Status: status, Code: c.secret.redact(code, maxCodeLen),
			Message: c.secret.redact(msg, maxMessageLen), Err: c.secret.redactErr(cause)}
	}
	// refuse ends an attempt before any request is sent; the observer still sees it (status 0).
	refuse := func(kind Kind, msg string) error {
		if c.cfg.Observer != nil {
			c.cfg.Observer.ObserveRequest(endpoint, 0, kind, 0)
		}
		return fail(kind, 0, "", msg, nil)
	}
	if a := allowanceFrom(ctx); !a.take() {
		return refuse(KindBudgetExhausted, a.spentMessage())
	}
	if c.cfg.Limiter != nil {
		if werr := c.cfg.Limiter.Wait(ctx); werr != nil {
			kind, msg := KindBudgetExhausted, "the exporter's request budget allows no request before the deadline"
			if ctx.Err() != nil {
				kind, msg = kindForTransport(ctx, ctx.Err()), "while waiting for the request budget"
			}
			return refuse(kind, msg)
		}
	}
	req, rerr := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if rerr != nil {
		return fail(KindClientError, 0, "", "", rerr)
	}
	req.Header.Set("X-DC-DEVKEY", c.cfg.APIKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.cfg.UserAgent)

	start := time.Now()
	status := 0
	defer func() {
		if c.cfg.Observer != nil {
			c.cfg.Observer.ObserveRequest(endpoint, status, KindOf(err), time.Since(start))
		}
	}()

	resp, herr := c.http.Do(req)
	if herr != nil {
		return fail(kindForTransport(ctx, herr), 0, "", "", herr)
	}
	defer resp.Body.Close()
	status = resp.StatusCode
	body := &cappedReader{r: resp.Body, remaining: c.cfg.MaxBodyBytes, maxValue: min(MaxValueBytes, c.cfg.MaxBodyBytes)}

	if resp.StatusCode != http.StatusOK {
		return c.errorFromResponse(ctx, endpoint, resp, body)
	}
	if !isJSON(resp.Header.Get("Content-Type")) {
		// Not through fail: the description is redacted already, and another pass would
		// decode the title's HTML entities a second time.
		return &Error{Kind: KindInvalidResponse, Endpoint: endpoint, Status: status, Message: c.describeNonJSON(resp, body)}
	}
	if resp.ContentLength > c.cfg.MaxBodyBytes {
		// Announced too large: refuse before reading, so it costs no memory at all.
		return fail(KindTooLarge, status, "", fmt.Sprintf("body larger than %d bytes (Content-Length %d)", c.cfg.MaxBodyBytes, resp.ContentLength), nil)
	}
	if derr := decode(body); derr != nil {
		var own *Error
		switch {
		case errors.As(derr, &own): // the decoder's own verdict (too many items, pages that do not add up)
			own.Endpoint, own.Status = endpoint, status
			own.Message, own.Err = c.secret.redact(own.Message, maxMessageLen), c.secret.redactErr(own.Err)
			return own
		case body.exceeded:
			return fail(KindTooLarge, status, "", fmt.Sprintf("body larger than %d bytes", c.cfg.MaxBodyBytes), nil)
		case body.valueExceeded:
			return fail(KindTooLarge, status, "", fmt.Sprintf("a single JSON value larger than %d bytes", body.maxValue), nil)
		case ctx.Err() != nil:
			return fail(kindForTransport(ctx, ctx.Err()), status, "", "while reading the body", ctx.Err())
		case isTransportReadError(derr):
			return fail(kindForTransport(ctx, derr), status, "", "while reading the body", derr)
		default:
			return fail(KindDecode, status, "", "", derr)
		}
	}
	// Drain a little so the connection can be reused; the cap keeps this bounded.
	_, _ = io.CopyN(io.Discard, body, 4096)
	return nil
}

// errorFromResponse turns a non-200 answer into an *Error, reading the API's error body when
// it is JSON. Bodies on WAF blocks may be HTML: those are described, not parsed.
func (c *Client) errorFromResponse(ctx context.Context, endpoint string, resp *http.Response, body io.Reader) error {
	e := &Error{Endpoint: endpoint, Status: resp.StatusCode}
	raw, rerr := io.ReadAll(io.LimitReader(body, 64<<10))
	if rerr != nil && ctx.Err() != nil {
		e.Kind = kindForTransport(ctx, ctx.Err())
		return e
	}
	// Only what was parsed is shown (the error code and message, or the page's title), never
	// the body itself, and all of it redacted: an upstream may echo the key in any of them.
	if isJSON(resp.Header.Get("Content-Type")) || looksLikeJSON(raw) {
		if code, msg, ok := parseAPIErrors(raw); ok {
			e.Code, e.Message = c.secret.redact(code, maxCodeLen), c.secret.redact(msg, maxMessageLen)
		}
	} else if len(raw) > 0 {
		e.Message = c.describeNonJSON(resp, bytes.NewReader(raw))
		if resp.StatusCode < 500 && resp.StatusCode != 429 && resp.StatusCode != 404 {
			// A 401/403 that is not the API's JSON comes from something in front of it.
			e.Kind = KindInvalidResponse
			return e
		}
	}
	e.Kind = kindForStatus(resp.StatusCode, e.Code)
	return e
}

// parseAPIErrors reads {"errors":[{"code","message"}]} and, defensively, the old fixture's
// {"errors":{"code","message"}}. Several errors are joined with "; ".
func parseAPIErrors(raw []byte) (code, message string, ok bool) {
	var env struct {
		Errors json.RawMessage `json:"errors"`
	}
	if json.Unmarshal(raw, &env) != nil || len(env.Errors) == 0 {
		return "", "", false
	}
	type apiErr struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	var list []apiErr
	if json.Unmarshal(env.Errors, &list) != nil {
		var one apiErr
		if json.Unmarshal(env.Errors, &one) != nil {
			return "", "", false
		}
		list = []apiErr{one}
	}
	var codes, msgs []string
	for _, e := range list {
		codes = append(codes, e.Code)
		msgs = append(msgs, e.Message)
	}
	return strings.Join(codes, "; "), strings.Join(msgs, "; "), len(list) > 0
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

func looksLikeJSON(raw []byte) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// describeNonJSON says what came back instead of JSON, with the page title if it is HTML,
// so that "the CDN blocked us" is visible in the error text. It redacts each piece of the
// answer it shows, once, and callers use the result as it is: every pass of the redactor
// decodes HTML entities, and a second pass over the title would show "&amp;lt;" as "<"
// rather than the "&lt;" the page meant. The title is redacted before it is quoted (quoting
// could split a run of the key). No run of the key can span two pieces: the text between
// them holds spaces, which a key never does (ValidateKey).
func (c *Client) describeNonJSON(resp *http.Response, body io.Reader) string {
	ct := c.secret.redact(resp.Header.Get("Content-Type"), 100)
	if ct == "" {
		ct = "no content type"
	}
	head, _ := io.ReadAll(io.LimitReader(body, 4096))
	desc := "expected JSON, got " + ct
	if title := htmlTitle(head); title != "" {
		desc += fmt.Sprintf(" titled %q", c.secret.redact(title, 200))
	}
	if cdn := resp.Header.Get("X-Cdn"); cdn != "" {
		desc += " from CDN " + c.secret.redact(cdn, 100)
	}
	return TruncateText(desc, maxMessageLen) // quoting can lengthen the title
}

func htmlTitle(b []byte) string {
	lower := asciiLowerBytes(b)
	i := bytes.Index(lower, []byte("<title>"))
	if i < 0 {
		return ""
	}
	rest, restLower := b[i+len("<title>"):], lower[i+len("<title>"):]
	j := bytes.Index(restLower, []byte("</title>"))
	if j < 0 || j > 2048 { // entity-encoded text is long; the caller cuts the decoded title
		return ""
	}
	return strings.TrimSpace(string(rest[:j]))
}

// asciiLowerBytes lowers A-Z only, so that an offset in the result is the same offset in b:
// bytes.ToLower replaces invalid UTF-8 (any byte a server sends) and changes the length. The
// page title search and the redactor (the key is printable ASCII, see ValidateKey) both rely
// on that.
func asciiLowerBytes(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// cappedReader fails once more than remaining bytes are read, or once more than maxValue
// bytes are read past the start of the value being decoded (see valueMarker).
type cappedReader struct {
	r         io.Reader
	remaining int64
	exceeded  bool

	maxValue      int64
	read          int64 // bytes handed to the decoder so far
	valueStart    int64 // offset where the value being decoded began
	valueExceeded bool
}

func (c *cappedReader) markValue(offset int64) { c.valueStart = offset }

var errTooLarge = errors.New("response body exceeds the size cap")

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.valueExceeded || c.exceeded {
		return 0, errTooLarge // for good: a decoder that reads on must not get past the cap
	}
	if c.remaining <= 0 {
		// Probe for one more byte to tell "exactly at the cap" from "over it".
		var one [1]byte
		n, err := c.r.Read(one[:])
		if n > 0 {
			c.exceeded = true
			return 0, errTooLarge
		}
		return 0, err
	}
	if c.maxValue > 0 {
		room := c.maxValue - (c.read - c.valueStart)
		if room <= 0 {
			c.valueExceeded = true
			return 0, errTooLarge
		}
		if int64(len(p)) > room {
			p = p[:room]
		}
	}
	if int64(len(p)) > c.remaining {
		p = p[:c.remaining]
	}
	n, err := c.r.Read(p)
	c.remaining -= int64(n)
	c.read += int64(n)
	return n, err
}

// isTransportReadError tells a broken connection during the body from bad JSON.
func isTransportReadError(err error) bool {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return false // a truncated body is a decode problem of the answer
	}
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &syntax) || errors.As(err, &typeErr) || errors.Is(err, errShape) {
		return false
	}
	return errors.Is(err, errTooLarge) || strings.Contains(err.Error(), "connection reset") ||
		strings.Contains(err.Error(), "use of closed network connection")
}
