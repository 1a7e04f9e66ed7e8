package simulator

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Error codes and messages. The invalid-key and rate-limit bodies are
// byte-for-byte what the real API sends (reference §3, §9).
const (
	codeInvalidKey        = "access_denied|access_denied_invalid_key"
	msgInvalidKey         = "Access denied due to access_denied_invalid_key."
	codeMissingPermission = "access_denied|missing_permission"
	msgMissingPermission  = "You do not have permission to perform this action."
	codeRateLimited       = "request_limit_exceeded"
	msgRateLimited        = "Service unavailable, please limit request volume"
	codeNotFound          = "not_found|route"
	msgNotFound           = "The requested route was not found."
	codeMethodNotAllowed  = "method_not_allowed"
	msgMethodNotAllowed   = "This simulator only serves GET requests."
)

// response is a fully rendered answer, kept as bytes so faults can mangle it.
type response struct {
	status int
	body   []byte
}

type apiErr struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// errorBody renders {"errors":[{"code":...,"message":...}]}: an array, as
// every real body has.
func errorBody(code, msg string) []byte {
	b, _ := json.Marshal(struct {
		Errors []apiErr `json:"errors"`
	}{[]apiErr{{code, msg}}})
	return b
}

func errorResponse(status int, code, msg string) response {
	return response{status, errorBody(code, msg)}
}

// statusErrorBody is a plausible JSON body for an injected status.
func statusErrorBody(status int) []byte {
	switch status {
	case http.StatusTooManyRequests:
		return errorBody(codeRateLimited, msgRateLimited)
	case http.StatusUnauthorized, http.StatusForbidden:
		return errorBody(codeMissingPermission, msgMissingPermission)
	case http.StatusNotFound:
		return errorBody(codeNotFound, msgNotFound)
	case http.StatusInternalServerError:
		return errorBody("internal_error", "An internal error occurred. Please try again later.")
	case http.StatusBadGateway:
		return errorBody("bad_gateway", "Bad gateway.")
	case http.StatusServiceUnavailable:
		return errorBody("service_unavailable", "The service is temporarily unavailable.")
	case http.StatusGatewayTimeout:
		return errorBody("gateway_timeout", "Gateway timeout.")
	}
	text := http.StatusText(status)
	if text == "" {
		text = "Status " + strconv.Itoa(status)
	}
	return errorBody("error", text+".")
}

// writeJSON sends a body with the headers the real API sends on success:
// application/json without a charset, private no-cache.
func writeJSON(w http.ResponseWriter, r response) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "private,no-cache")
	h.Set("Content-Length", strconv.Itoa(len(r.body)))
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body)
}
