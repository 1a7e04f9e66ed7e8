package simulator

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseFault(t *testing.T) {
	cases := []struct {
		in      string
		want    Fault
		wantErr string
		str     string // String() when it differs from in
	}{
		{in: "/domain=status:503", want: Fault{Endpoint: "/domain", Kind: FaultStatus, Status: 503}},
		{in: "/finance/balance=hang", want: Fault{Endpoint: "/finance/balance", Kind: FaultHang}},
		{in: "*=latency:2s@0.3", want: Fault{Endpoint: "*", Kind: FaultLatency, Duration: 2 * time.Second, Probability: 0.3}},
		{in: "/user=oversized:20MB", want: Fault{Endpoint: "/user", Kind: FaultOversized, Size: 20_000_000}, str: "/user=oversized:20000000"},
		{in: "/user=oversized:1MiB", want: Fault{Endpoint: "/user", Kind: FaultOversized, Size: 1 << 20}, str: "/user=oversized:1048576"},
		{in: "user/me=reset", want: Fault{Endpoint: "/user/me", Kind: FaultReset}, str: "/user/me=reset"},
		{in: "/services/v2/product=html", want: Fault{Endpoint: "/product", Kind: FaultHTML, Status: 503}, str: "/product=html"},
		{in: "/product=html:502", want: Fault{Endpoint: "/product", Kind: FaultHTML, Status: 502}},
		{in: "/order/certificate=truncated@1", want: Fault{Endpoint: "/order/certificate", Kind: FaultTruncated}, str: "/order/certificate=truncated"},
		{in: "/account=malformed", want: Fault{Endpoint: "/account", Kind: FaultMalformed}},
		{in: "/domain=latency:1d", want: Fault{Endpoint: "/domain", Kind: FaultLatency, Duration: 24 * time.Hour}, str: "/domain=latency:24h0m0s"},
		{in: "/domain", wantErr: "want ENDPOINT=KIND"},
		{in: "/domains=hang", wantErr: "unknown endpoint"},
		{in: "/domain=explode", wantErr: "unknown kind"},
		{in: "/domain=status", wantErr: "needs an argument"},
		{in: "/domain=status:99", wantErr: "HTTP status"},
		{in: "/domain=hang:5s", wantErr: "takes no argument"},
		{in: "/domain=latency:soon", wantErr: "latency"},
		{in: "/domain=oversized:lots", wantErr: "size"},
		{in: "/domain=hang@0", wantErr: "probability"},
		{in: "/domain=hang@1.5", wantErr: "probability"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			f, err := ParseFault(c.in)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f != c.want {
				t.Fatalf("got %+v, want %+v", f, c.want)
			}
			want := c.str
			if want == "" {
				want = c.in
			}
			if f.String() != want {
				t.Errorf("String() = %q, want %q", f.String(), want)
			}
			if again, err := ParseFault(f.String()); err != nil || again != f {
				t.Errorf("round trip: %+v, %v", again, err)
			}
		})
	}
}

func TestFaultKinds(t *testing.T) {
	type check func(t *testing.T, resp *http.Response, body []byte, err error)
	jsonStatus := func(code int, bodyPart string) check {
		return func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err != nil || resp.StatusCode != code || !strings.Contains(string(body), bodyPart) || !json.Valid(body) {
				t.Errorf("got %v %v %s", resp, err, body)
			}
		}
	}
	cases := []struct {
		fault   string
		timeout time.Duration
		check   check
	}{
		{"/domain=status:503", 0, jsonStatus(503, `"errors":[{"code":"service_unavailable"`)},
		{"/domain=status:500", 0, jsonStatus(500, `"errors":[{"code":"internal_error"`)},
		{"/domain=status:502", 0, jsonStatus(502, `"errors":[`)},
		{"/domain=status:429", 0, jsonStatus(429, rateLimitedBody)},
		{"/domain=latency:150ms", 0, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err != nil || resp.StatusCode != 200 || !strings.Contains(string(body), `"domains"`) {
				t.Errorf("got %v %v", resp, err)
			}
		}},
		{"/domain=hang", 300 * time.Millisecond, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err == nil {
				t.Errorf("hang answered: %v", resp.Status)
			}
		}},
		{"/domain=truncated", 0, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if !errors.Is(err, io.ErrUnexpectedEOF) || resp.StatusCode != 200 {
				t.Errorf("want unexpected EOF after 200, got %v %v", resp, err)
			}
			if json.Valid(body) || len(body) == 0 {
				t.Errorf("truncated body %q", body)
			}
		}},
		{"/domain=malformed", 0, func(t *testing.T, resp *http.Response, body []byte, err error) {
			var v any
			var se *json.SyntaxError
			if err != nil || resp.StatusCode != 200 || !errors.As(json.Unmarshal(body, &v), &se) {
				t.Errorf("want a JSON syntax error, got %v %s", err, body)
			}
		}},
		{"/domain=html", 0, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err != nil || resp.StatusCode != 503 || resp.Header.Get("Content-Type") != "text/html" ||
				!strings.Contains(string(body), "Incapsula incident ID") {
				t.Errorf("got %v %v %s", resp, err, body)
			}
		}},
		{"/domain=oversized:3MB", 0, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err != nil || resp.StatusCode != 200 || len(body) != 3_000_000 || !json.Valid(body) {
				t.Errorf("got %v %v len %d", resp, err, len(body))
			}
			if resp.ContentLength != -1 {
				t.Errorf("oversized body should be streamed without Content-Length, got %d", resp.ContentLength)
			}
		}},
		{"/domain=reset", 0, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err == nil {
				t.Errorf("reset answered: %v", resp.Status)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.fault, func(t *testing.T) {
			f, err := ParseFault(c.fault)
			if err != nil {
				t.Fatal(err)
			}
			s, hs := newTestServer(t, Options{Dataset: fixture(), Faults: []Fault{f}})
			client := hs.Client()
			client.Timeout = c.timeout
			// A request to another endpoint is unaffected.
			if r := get(t, hs, "/services/v2/user"); r.status != 200 {
				t.Fatalf("/user hit by a /domain fault: %d", r.status)
			}
			start := time.Now()
			req, _ := http.NewRequest(http.MethodGet, hs.URL+"/services/v2/domain", nil)
			req.Header.Set("X-DC-DEVKEY", testKey)
			resp, err := client.Do(req)
			var body []byte
			if err == nil {
				body, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			c.check(t, resp, body, err)
			if f.Kind == FaultLatency && time.Since(start) < f.Duration {
				t.Errorf("answered after %v, before the %v latency", time.Since(start), f.Duration)
			}
			if f.Kind == FaultHang || f.Kind == FaultReset {
				// The handler records once it has returned.
				want := map[FaultKind]string{FaultHang: "none", FaultReset: "reset"}[f.Kind]
				deadline := time.Now().Add(2 * time.Second)
				for s.Stats().ByStatus[want] < 1 && time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond)
				}
				// >= 1: Go's transport retries a GET once when a reused
				// connection is reset before any byte arrived.
				if got := s.Stats().ByStatus[want]; got < 1 {
					t.Errorf("by_status[%s] = %d, stats %+v", want, got, s.Stats())
				}
			}
		})
	}
}

func TestFaultSelection(t *testing.T) {
	s, hs := newTestServer(t, Options{Dataset: fixture()})
	s.SetFaults([]Fault{{Endpoint: "*", Kind: FaultStatus, Status: 500, Probability: 0.5}})
	codes := map[int]int{}
	for range 200 {
		codes[get(t, hs, "/services/v2/account").status]++
	}
	if codes[500] == 0 || codes[200] == 0 || codes[500]+codes[200] != 200 {
		t.Errorf("probability 0.5 gave %v", codes)
	}

	// Latency faults add up and combine with one terminal fault.
	s.SetFaults([]Fault{
		{Endpoint: "*", Kind: FaultLatency, Duration: 50 * time.Millisecond},
		{Endpoint: "/product", Kind: FaultLatency, Duration: 50 * time.Millisecond},
		{Endpoint: "/product", Kind: FaultStatus, Status: 502},
		{Endpoint: "/product", Kind: FaultStatus, Status: 504},
	})
	start := time.Now()
	if r := get(t, hs, "/services/v2/product"); r.status != 502 {
		t.Errorf("first terminal fault should win, got %d", r.status)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("latencies not added: %v", d)
	}
	if r := get(t, hs, "/services/v2/account"); r.status != 200 {
		t.Errorf("/account: %d", r.status)
	}
	s.SetFaults(nil)
	if r := get(t, hs, "/services/v2/product"); r.status != 200 {
		t.Errorf("after clearing: %d", r.status)
	}
}

func TestOptionsLatency(t *testing.T) {
	_, hs := newTestServer(t, Options{Dataset: fixture(), Latency: 100 * time.Millisecond})
	start := time.Now()
	if r := get(t, hs, "/services/v2/account"); r.status != 200 {
		t.Fatal(r.status)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("latency not applied: %v", d)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int{"512": 512, "64KB": 64000, "64kb": 64000, "2KiB": 2048, "20MB": 20e6, "1GiB": 1 << 30, "7B": 7} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("%s: %d %v, want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MB", "-1", "1.5MB"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("%q: want error", in)
		}
	}
}
