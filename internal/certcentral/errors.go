package certcentral

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"html"
	"net"
	"net/textproto"
	"strings"
	"unicode/utf8"
)

// Kind classifies a failed API call so that callers can react to the cause (advice to the
// user, metrics labels, retry decisions) without parsing error strings. The values are short
// snake_case words because the collector layer uses them as a bounded metric label.
type Kind string

const (
	// KindInvalidKey: 403 access_denied|access_denied_invalid_key (or a 401, which some
	// clients assume although the real API answers 403).
	KindInvalidKey Kind = "invalid_key"
	// KindMissingPermission: 403 access_denied|missing_permission: the key is valid but its
	// restriction or the linked user's role does not allow this call.
	KindMissingPermission Kind = "missing_permission"
	// KindAccessDenied: any other 401/403 answer in the API's JSON shape.
	KindAccessDenied Kind = "access_denied"
	// KindRateLimited: 429 request_limit_exceeded from the API.
	KindRateLimited Kind = "rate_limited"
	// KindBudgetExhausted: the exporter's own request budget would not allow the call before
	// the deadline; nothing was sent.
	KindBudgetExhausted Kind = "budget_exhausted"
	// KindServerError: a 5xx answer.
	KindServerError Kind = "server_error"
	// KindNotFound: 404 (a wrong base URL usually).
	KindNotFound Kind = "not_found"
	// KindClientError: any other 4xx answer.
	KindClientError Kind = "client_error"
	// KindTimeout: the request or the collection ran out of time.
	KindTimeout Kind = "timeout"
	// KindConnection: no HTTP answer at all (DNS, refused, reset, proxy).
	KindConnection Kind = "connection"
	// KindTLS: the TLS handshake or certificate verification failed.
	KindTLS Kind = "tls"
	// KindInvalidResponse: the body is not the API's JSON (an HTML page from the CDN, say).
	KindInvalidResponse Kind = "invalid_response"
	// KindDecode: the body is JSON-looking but does not decode (truncated, malformed, wrong shape).
	KindDecode Kind = "decode_error"
	// KindTooLarge: the body exceeded the size cap.
	KindTooLarge Kind = "response_too_large"
	// KindTooManyItems: a list announced or held more items than its cap (MaxListItems, MaxListUsers).
	KindTooManyItems Kind = "too_many_items"
	// KindInconsistentPagination: a list's pages do not add up to what the API announced (a
	// page repeated, pages empty before the total, a total that moved far during the read),
	// so what was read cannot be called the complete list.
	KindInconsistentPagination Kind = "inconsistent_pagination"
	// KindCanceled: the caller gave up (shutdown); not the API's fault.
	KindCanceled Kind = "canceled"
)

// Kinds lists every kind, in a stable order, for callers that export one series per kind.
var Kinds = []Kind{
	KindInvalidKey, KindMissingPermission, KindAccessDenied, KindRateLimited, KindBudgetExhausted,
	KindServerError, KindNotFound, KindClientError, KindTimeout, KindConnection, KindTLS,
	KindInvalidResponse, KindDecode, KindTooLarge, KindTooManyItems, KindInconsistentPagination, KindCanceled,
}

// Error is the error every client call returns on failure. Its text names the endpoint and
// the HTTP status and never the API key.
type Error struct {
	Kind     Kind
	Endpoint string // API path without base, e.g. "/user"
	Status   int    // HTTP status, 0 when no answer arrived
	Code     string // the API's error code, e.g. "access_denied|missing_permission"
	Message  string // the API's error message, or our description of the body
	Err      error  // the underlying error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s", e.Endpoint)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	fmt.Fprintf(&b, ": %s", e.Kind)
	if e.Code != "" {
		fmt.Fprintf(&b, " (%s)", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of err, or "" when err is nil or not from this package.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

// kindForStatus maps an HTTP error status and the API's error code to a Kind.
func kindForStatus(status int, code string) Kind {
	switch {
	case strings.Contains(code, "access_denied_invalid_key"):
		return KindInvalidKey
	case strings.Contains(code, "missing_permission"):
		return KindMissingPermission
	case strings.Contains(code, "request_limit_exceeded") || status == 429:
		return KindRateLimited
	case status == 401:
		return KindInvalidKey
	case status == 403:
		return KindAccessDenied
	case status == 404:
		return KindNotFound
	case status >= 500:
		return KindServerError
	default:
		return KindClientError
	}
}

// kindForTransport classifies an error from http.Client.Do or from reading the body.
func kindForTransport(ctx context.Context, err error) Kind {
	if errors.Is(err, context.Canceled) && ctx.Err() == context.Canceled {
		return KindCanceled
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errBodyTimeout) {
		return KindTimeout
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return KindTimeout
	}
	// An answer came but was not HTTP we can read: a control character in a header, a
	// garbled status line. The network is fine; what answered is not the API.
	var protoErr textproto.ProtocolError
	if errors.As(err, &protoErr) || strings.Contains(err.Error(), "malformed HTTP") {
		return KindInvalidResponse
	}
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostnameErr      x509.HostnameError
		invalidCert      x509.CertificateInvalidError
		recordHeader     tls.RecordHeaderError
		certVerify       *tls.CertificateVerificationError
	)
	if errors.As(err, &unknownAuthority) || errors.As(err, &hostnameErr) || errors.As(err, &invalidCert) ||
		errors.As(err, &recordHeader) || errors.As(err, &certVerify) {
		return KindTLS
	}
	return KindConnection
}

// errBodyTimeout marks a body read cut short by the context.
var errBodyTimeout = errors.New("reading the response body timed out")

// retryable says whether another attempt may help. Never for 401/403 (the key or its
// permissions will not change in a second) and never for 429: DigiCert's windows take seconds
// to minutes to drain and every retry would spend more of the same budget.
func retryable(k Kind) bool {
	switch k {
	case KindServerError, KindConnection:
		return true
	}
	return false
}

// Text from the server (error codes and messages, page titles, header values, decoder errors
// quoting a token) is bounded before it goes into an error: a log line, the status page and
// check's output stay a few kilobytes whatever the server sends.
const (
	maxCodeLen    = 200
	maxMessageLen = 512
	maxErrTextLen = 1024
)

// TruncateText cuts s to at most n bytes on a rune boundary and says how much was left out.
func TruncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s... (%d more bytes)", s[:cut], len(s)-cut)
}

// redactRun is the length of the shortest piece of the key that is taken as the key: a
// 16-character run of a random key does not occur in text by chance, while an upstream that
// echoes the key cut short, or with a character changed, still echoes long runs of it.
const redactRun = 16

// redactor removes the API key from text that came from the server, also when an upstream
// echoes it lower- or upper-cased, cut short, or HTML-entity encoded ("&#75;EY..." in a page
// title): entities are decoded first, and every run of redactRun characters that matches a
// run of the key, case-insensitively, is replaced.
type redactor struct {
	runs map[string]struct{} // every redactRun-long piece of the lower-cased key
	n    int
}

func newRedactor(key string) redactor {
	r := redactor{runs: map[string]struct{}{}, n: min(redactRun, len(key))}
	if r.n == 0 {
		return r
	}
	lower := asciiLowerBytes([]byte(key))
	for i := 0; i+r.n <= len(lower); i++ {
		r.runs[string(lower[i:i+r.n])] = struct{}{}
	}
	return r
}

// redact returns s with entities decoded, the key's runs replaced by "<redacted>", cut to max
// bytes.
func (r redactor) redact(s string, max int) string {
	if s == "" {
		return s
	}
	if strings.ContainsRune(s, '&') {
		s = html.UnescapeString(s)
		// Shown decoded once, as a browser would; but a key encoded twice or more
		// ("&amp;#75;...") would still be readable to anyone who decodes again, and its
		// offsets in s are lost: such text is withheld whole.
		if r.n > 0 && r.hidden(s) {
			return "<redacted>"
		}
	}
	if r.n > 0 && len(s) >= r.n {
		lower := asciiLowerBytes([]byte(s)) // offsets in lower are those in s
		covered := make([]bool, len(s))
		found := false
		for i := 0; i+r.n <= len(lower); i++ {
			if _, ok := r.runs[string(lower[i:i+r.n])]; ok {
				found = true
				for j := i; j < i+r.n; j++ {
					covered[j] = true
				}
			}
		}
		if found {
			var b strings.Builder
			for i := 0; i < len(s); i++ {
				if !covered[i] {
					b.WriteByte(s[i])
					continue
				}
				b.WriteString("<redacted>")
				for i+1 < len(s) && covered[i+1] {
					i++
				}
			}
			s = b.String()
		}
	}
	return TruncateText(s, max)
}

// hidden says whether decoding s's entities again, up to a few times, shows a run of the key.
func (r redactor) hidden(s string) bool {
	for range 4 {
		if !strings.ContainsRune(s, '&') {
			return false
		}
		next := html.UnescapeString(s)
		if next == s {
			return false
		}
		s = next
		lower := asciiLowerBytes([]byte(s))
		for i := 0; i+r.n <= len(lower); i++ {
			if _, ok := r.runs[string(lower[i:i+r.n])]; ok {
				return true
			}
		}
	}
	return false
}

type redactedError struct {
	msg   string
	cause error
}

func (r *redactedError) Error() string { return r.msg }
func (r *redactedError) Unwrap() error { return r.cause }

// redactErr returns err with its text redacted and bounded; the cause stays reachable for
// errors.Is and errors.As.
func (r redactor) redactErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if clean := r.redact(msg, maxErrTextLen); clean != msg {
		return &redactedError{msg: clean, cause: err}
	}
	return err
}
