package certcentral

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
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
	// KindCanceled: the caller gave up (shutdown); not the API's fault.
	KindCanceled Kind = "canceled"
)

// Kinds lists every kind, in a stable order, for callers that export one series per kind.
var Kinds = []Kind{
	KindInvalidKey, KindMissingPermission, KindAccessDenied, KindRateLimited, KindBudgetExhausted,
	KindServerError, KindNotFound, KindClientError, KindTimeout, KindConnection, KindTLS,
	KindInvalidResponse, KindDecode, KindTooLarge, KindCanceled,
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
