package simulator

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestParseHostileFaults: the hostile kinds parse and print back.
func TestParseHostileFaults(t *testing.T) {
	for _, in := range []string{"/user=total:1000000000", "/user=pagelimit:1", "/user=growing", "/user=repeat", "/domain=emptypages",
		"/order/certificate=sans:250", "*=badvalues", "/user=logindates", "/user=emptyitems:1000000", "/user=smallitems:5000000@0.5",
		"/user=badheader", "/user=echokey", "/domain=echokey:html"} {
		f, err := ParseFault(in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if f.String() != in {
			t.Errorf("%s prints as %s", in, f)
		}
	}
	for _, in := range []string{"/user=total", "/user=pagelimit:0", "/user=sans:x", "/user=echokey:xml", "/user=repeat:2"} {
		if _, err := ParseFault(in); err == nil {
			t.Errorf("%s parsed", in)
		}
	}
}

func faultServer(t *testing.T, faults ...string) *httpTestServer {
	t.Helper()
	fs, err := ParseFaults(faults)
	if err != nil {
		t.Fatal(err)
	}
	ds := fixture()
	_, hs := newTestServer(t, Options{Dataset: ds, Faults: fs})
	return &httpTestServer{t: t, url: hs.URL, client: hs.Client()}
}

type httpTestServer struct {
	t      *testing.T
	url    string
	client *http.Client
}

func (s *httpTestServer) page(path string) map[string]any {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.url+"/services/v2"+path, nil)
	req.Header.Set("X-DC-DEVKEY", testKey)
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		s.t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
	}
	return decode(s.t, b)
}

func total(m map[string]any) int { return int(m["page"].(map[string]any)["total"].(float64)) }

func TestListFaults(t *testing.T) {
	t.Run("total and pagelimit combine", func(t *testing.T) {
		s := faultServer(t, "/user=total:1000000000", "/user=pagelimit:1")
		m := s.page("/user?limit=1000&offset=2")
		if users := list(t, m, "users"); len(users) != 1 || total(m) != 1_000_000_000 || users[0]["id"].(float64) != 12 {
			t.Errorf("got %v", m)
		}
	})
	t.Run("repeat", func(t *testing.T) {
		s := faultServer(t, "/user=repeat", "/user=pagelimit:2")
		a, b := s.page("/user?limit=2&offset=0"), s.page("/user?limit=2&offset=2")
		if fmt.Sprint(list(t, a, "users")) != fmt.Sprint(list(t, b, "users")) || b["page"].(map[string]any)["offset"].(float64) != 2 {
			t.Errorf("offset 2 %v is not the first page %v", b, a)
		}
	})
	t.Run("emptypages", func(t *testing.T) {
		s := faultServer(t, "/user=emptypages", "/user=pagelimit:2")
		if m := s.page("/user?offset=2"); m["users"] != nil || total(m) != 4 {
			t.Errorf("got %v", m)
		}
	})
	t.Run("growing", func(t *testing.T) {
		s := faultServer(t, "/user=growing", "/user=pagelimit:2")
		a, b := s.page("/user?offset=0"), s.page("/user?offset=2")
		if total(a) != 4 || total(b) != 6 || list(t, a, "users")[0]["id"] == list(t, b, "users")[0]["id"] {
			t.Errorf("pages %v then %v do not grow", a, b)
		}
	})
	t.Run("sans", func(t *testing.T) {
		s := faultServer(t, "/order/certificate=sans:250")
		for _, o := range list(t, s.page("/order/certificate"), "orders") {
			if names := o["certificate"].(map[string]any)["dns_names"].([]any); len(names) != 250 {
				t.Errorf("order %v has %d names", o["id"], len(names))
			}
		}
	})
	t.Run("badvalues", func(t *testing.T) {
		s := faultServer(t, "*=badvalues")
		users := list(t, s.page("/user"), "users")
		if users[0]["id"] != "abc" || users[2]["id"] != "NaN" || users[3]["access_roles"].([]any)[0].(map[string]any)["id"] != "x" {
			t.Errorf("users %v", users)
		}
		if d := list(t, s.page("/domain"), "domains"); d[0]["is_active"] != "yes" {
			t.Errorf("domains %v", d)
		}
		if o := list(t, s.page("/order/certificate"), "orders"); o[0]["is_renewed"] != "N" {
			t.Errorf("orders %v", o)
		}
	})
	t.Run("logindates", func(t *testing.T) {
		s := faultServer(t, "/user=logindates")
		users := list(t, s.page("/user"), "users")
		if users[0]["last_login_date"] != "0000-00-00 00:00:00" || users[2]["last_login_date"] != "2024-01-02 03:04:05 +0000" {
			t.Errorf("users %v", users)
		}
	})
}

func TestWholeAnswerFaults(t *testing.T) {
	t.Run("emptyitems", func(t *testing.T) {
		s := faultServer(t, "/user=emptyitems:1000")
		if users := list(t, s.page("/user"), "users"); len(users) != 1000 || len(users[0]) != 0 {
			t.Errorf("%d users, first %v", len(users), users[0])
		}
	})
	t.Run("smallitems", func(t *testing.T) {
		s := faultServer(t, "/domain=smallitems:100000")
		m := s.page("/domain")
		if d := list(t, m, "domains"); len(d) != 100000 || d[99999]["id"].(float64) != 100000 || total(m) != 100000 {
			t.Errorf("%d domains, total %d", len(d), total(m))
		}
	})
	t.Run("echokey", func(t *testing.T) {
		s := faultServer(t, "/user=echokey", "/domain=echokey:html")
		for path, want := range map[string]string{
			"/user":   strings.ToLower(testKey),
			"/domain": fmt.Sprintf("&#%d;", strings.ToUpper(testKey)[len(testKey)-1]),
		} {
			req, _ := http.NewRequest(http.MethodGet, s.url+"/services/v2"+path, nil)
			req.Header.Set("X-DC-DEVKEY", testKey)
			resp, err := s.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode < 400 || !strings.Contains(string(b), want) {
				t.Errorf("%s: %d %s", path, resp.StatusCode, b)
			}
		}
	})
	t.Run("badheader", func(t *testing.T) {
		s := faultServer(t, "/user=badheader")
		conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "GET /services/v2/user HTTP/1.1\r\nHost: x\r\nX-DC-DEVKEY: %s\r\nConnection: close\r\n\r\n", testKey)
		raw, _ := io.ReadAll(bufio.NewReader(conn))
		if !bytes.Contains(raw, []byte("X-Trace-Id: 7f3a\x01c9")) {
			t.Errorf("no control character in the headers:\n%q", raw)
		}
		var v any
		if i := bytes.Index(raw, []byte("\r\n\r\n")); i < 0 || json.Unmarshal(raw[i+4:], &v) != nil {
			t.Errorf("body is not JSON: %q", raw)
		}
	})
}
