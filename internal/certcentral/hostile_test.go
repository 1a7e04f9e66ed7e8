package certcentral

import (
	"context"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Tests of answers that no real CertCentral sends but a broken proxy, a bug or an attacker in
// the middle can: the client's memory, goroutines and requests must follow what it keeps and
// decides, and a list whose pages do not add up must not be called complete.

// listServer answers /user pages built by page(offset, limit) -> (items, total).
func listServer(page func(offset, limit int) ([]string, int)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		items, total := page(offset, limit)
		body := fmt.Sprintf(`{"page":{"total":%d,"limit":%d,"offset":%d}}`, total, limit, offset)
		if len(items) > 0 {
			body = fmt.Sprintf(`{"users":[%s],"page":{"total":%d,"limit":%d,"offset":%d}}`, strings.Join(items, ","), total, limit, offset)
		}
		jsonReply(w, 200, body)
	}
}

func userItems(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf(`{"id":%d,"username":"u%d"}`, i+1, i+1))
	}
	return out
}

// TestHugeAnnouncedTotalIsRefused: a first page announcing a billion items (one per page) made
// listAll plan every offset and start a goroutine per page: it must be refused after that one
// request, with the reason.
func TestHugeAnnouncedTotalIsRefused(t *testing.T) {
	var requests atomic.Int32
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		listServer(func(offset, _ int) ([]string, int) { return userItems(offset, offset+1), 1_000_000_000 })(w, r)
	})
	stats, err := c.ListUsers(context.Background(), func(User) {})
	if KindOf(err) != KindTooManyItems || !strings.Contains(err.Error(), "1000000000") {
		t.Fatalf("err = %v, want %s naming the announced total", err, KindTooManyItems)
	}
	if requests.Load() != 1 || stats.Total != 1_000_000_000 || stats.Items != 1 {
		t.Errorf("%d requests, stats %+v: want the first page only", requests.Load(), stats)
	}
}

// TestPagesArePlannedLazily: a total under the cap with one item per page must still keep
// only PageConcurrency requests (and goroutines) in flight; offsets were planned, and a
// goroutine started, for every page before the concurrency limit applied.
func TestPagesArePlannedLazily(t *testing.T) {
	const total = MaxListUsers - 1000
	var (
		served atomic.Int32
		peak   atomic.Int64
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if g := int64(runtime.NumGoroutine()); g > peak.Load() {
			peak.Store(g)
		}
		if served.Add(1) >= 40 {
			cancel() // enough pages to see the shape; the test need not read them all
		}
		listServer(func(offset, _ int) ([]string, int) { return userItems(offset, offset+1), total })(w, r)
	}, func(c *Config) { c.PageConcurrency = 4 })
	before := runtime.NumGoroutine()
	_, err := c.ListUsers(ctx, func(User) {})
	if KindOf(err) != KindCanceled {
		t.Fatalf("err = %v, want canceled", err)
	}
	if p := peak.Load(); p > int64(before)+50 {
		t.Errorf("%d goroutines during the read (%d before): pages are planned beyond the concurrency limit", p, before)
	}
}

// TestListItemCap: a body of many tiny items, or a million empty objects, is stopped once the
// list holds its cap (MaxListUsers for users): memory follows what is kept, not what is sent.
// The client stops reading there and drops the connection, so the server cannot write the
// rest of an endless body.
func TestListItemCap(t *testing.T) {
	// The body the server would send: far more than the cap's items and more than loopback
	// sockets buffer (tcp_rmem allows tens of MB), so a client that read or drained it all
	// would let the server write all of it. The body size cap is raised past it, so that it is
	// the item cap, not the size cap, that must stop the client.
	const body = 256 << 20
	for name, item := range map[string]func(i int) string{
		"small items with ids": func(i int) string { return fmt.Sprintf(`{"id":%d}`, i+1) },
		"empty objects":        func(int) string { return `{}` },
		"one id repeated":      func(int) string { return `{"id":7}` },
	} {
		t.Run(name, func(t *testing.T) {
			wrote := make(chan int, 1)
			c := newTestClient(t, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				n, err := io.WriteString(w, `{"page":{"total":100,"limit":1000,"offset":0},"users":[`)
				var b strings.Builder
				for i := 0; err == nil && n < body; i++ {
					if i > 0 {
						b.WriteByte(',')
					}
					b.WriteString(item(i))
					if b.Len() > 32<<10 {
						var m int
						m, err = io.WriteString(w, b.String())
						n += m
						b.Reset()
					}
				}
				if err == nil {
					m, _ := io.WriteString(w, b.String()+`]}`)
					n += m
				}
				wrote <- n
			}, func(c *Config) { c.MaxBodyBytes = 2 * body })
			kept := 0
			stats, err := c.ListUsers(context.Background(), func(User) { kept++ })
			if KindOf(err) != KindTooManyItems {
				t.Fatalf("err = %v, want %s", err, KindTooManyItems)
			}
			if kept > MaxListUsers || stats.Items+stats.Duplicates > MaxListUsers {
				t.Errorf("%d users handed over (stats %+v), the cap is %d", kept, stats, MaxListUsers)
			}
			select {
			case n := <-wrote:
				if n > body/4 {
					t.Errorf("the server wrote %d of its %d bytes: the client read on past the cap", n, body)
				}
			case <-time.After(30 * time.Second):
				t.Error("the server was still writing 30s after the list failed: the client kept the connection open")
			}
		})
	}
}

// TestIDsThatAreNotIntegersAreNeverMerged: ids 1e308 and "NaN" both became the same int64 and
// one user vanished as a duplicate; "abc" failed the whole list. Each is kept, with "id" among
// its problems.
func TestIDsThatAreNotIntegersAreNeverMerged(t *testing.T) {
	body := `{"users":[{"id":1e308,"username":"a"},{"id":"NaN","username":"b"},{"id":"abc","username":"c"},{"username":"d"},` +
		`{"id":"5","username":"e"},{"id":5.0,"username":"e-again"}],"page":{"total":6,"limit":1000,"offset":0}}`
	c := newTestClient(t, fixedBody(body))
	var users []User
	stats, err := c.ListUsers(context.Background(), func(u User) { users = append(users, u) })
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 5 || stats.Duplicates != 1 {
		t.Fatalf("%d users (stats %+v), want 5: four without a usable id, user 5 once", len(users), stats)
	}
	for _, u := range users[:4] {
		if u.ID != 0 || len(u.Problems) != 1 || u.Problems[0] != "id" {
			t.Errorf("user %s: id %d, problems %v; want no id and the problem named", u.Username, u.ID, u.Problems)
		}
	}
}

// TestLenientValuesKeepTheirObjects: a value of a lenient boolean or number field that does
// not parse failed the whole collection; the README promises it is counted and its object kept.
func TestLenientValuesKeepTheirObjects(t *testing.T) {
	t.Run("orders", func(t *testing.T) {
		c := newTestClient(t, fixedBody(`{"orders":[{"id":1,"status":"issued","is_renewed":"N"},{"id":2,"status":"issued","is_renewed":true}],"page":{"total":2,"limit":1000,"offset":0}}`))
		var got []Order
		if _, err := c.ListOrders(context.Background(), OrderFilter{}, func(o Order) { got = append(got, o) }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || fmt.Sprint(got[0].Problems) != "[is_renewed]" || !got[1].IsRenewed || len(got[1].Problems) != 0 {
			t.Errorf("orders %+v", got)
		}
	})
	t.Run("domains", func(t *testing.T) {
		c := newTestClient(t, fixedBody(`{"domains":[{"id":1,"name":"a.example","is_active":"yes"},{"id":2,"name":"b.example","is_active":"0"}],"page":{"total":2,"limit":1000,"offset":0}}`))
		var got []Domain
		if _, err := c.ListDomains(context.Background(), func(d Domain) { got = append(got, d) }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || fmt.Sprint(got[0].Problems) != "[is_active]" || !got[0].Active || got[1].Active {
			t.Errorf("domains %+v", got)
		}
	})
	t.Run("users", func(t *testing.T) {
		c := newTestClient(t, fixedBody(`{"users":[{"id":1,"access_roles":[{"id":"abc","name":"Odd"}]}],"page":{"total":1,"limit":1000,"offset":0}}`))
		var got []User
		if _, err := c.ListUsers(context.Background(), func(u User) { got = append(got, u) }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || fmt.Sprint(got[0].Problems) != "[access_roles.id]" || got[0].Roles[0].Name != "Odd" {
			t.Errorf("users %+v", got)
		}
	})
	t.Run("balance", func(t *testing.T) {
		c := newTestClient(t, fixedBody(`{"balance":"12.00","currency":"USD","unlimited_negative_balance":"maybe","unpaid_invoice_balance":{"x":1}}`))
		b, err := c.Balance(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		if b.Balance == nil || *b.Balance != 12 || fmt.Sprint(b.Problems) != "[unlimited_negative_balance unpaid_invoice_balance]" {
			t.Errorf("balance %+v", b)
		}
	})
}

// TestPagesThatDoNotAddUp: a page repeated for every offset, or empty before the total, was a
// complete success with a fifth of the users: the others vanished and their alerts resolved.
// The normal drift of a live account must still pass.
func TestPagesThatDoNotAddUp(t *testing.T) {
	const n = 5000
	tests := []struct {
		name string
		page func(offset, limit int) ([]string, int)
		want Kind // "" = success
	}{
		{"every offset answers the first page", func(_, limit int) ([]string, int) { return userItems(0, limit), n }, KindInconsistentPagination},
		{"pages empty after the first", func(offset, limit int) ([]string, int) {
			if offset > 0 {
				return nil, n
			}
			return userItems(0, limit), n
		}, KindInconsistentPagination},
		{"the total keeps growing", func(offset, limit int) ([]string, int) {
			return userItems(offset, offset+limit), offset + 2*limit
		}, KindInconsistentPagination},
		{"more items than announced", func(offset, limit int) ([]string, int) { return userItems(0, 1000), 100 }, KindInconsistentPagination},
		{"three users added during the read", func(offset, limit int) ([]string, int) {
			total := n
			if offset > 0 {
				total = n + 3
			}
			return userItems(offset, min(offset+limit, total)), total
		}, ""},
		{"three users removed during the read", func(offset, limit int) ([]string, int) {
			total := n
			if offset > 0 {
				total = n - 3
			}
			return userItems(offset, min(offset+limit, total)), total
		}, ""},
	}
	for _, tt := range tests {
		for _, conc := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/concurrency %d", tt.name, conc), func(t *testing.T) {
				var requests atomic.Int32
				h := listServer(tt.page)
				c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { requests.Add(1); h(w, r) },
					func(c *Config) { c.PageConcurrency = conc })
				stats, err := c.ListUsers(context.Background(), func(User) {})
				if KindOf(err) != tt.want {
					t.Fatalf("err = %v (stats %+v), want %q", err, stats, tt.want)
				}
				if tt.want != "" && !strings.Contains(err.Error(), "items") && !strings.Contains(err.Error(), "total") {
					t.Errorf("error %q does not say what did not add up", err)
				}
				if r := requests.Load(); r > 8 {
					t.Errorf("%d requests for a list of at most 6 pages", r)
				}
			})
		}
	}
}

// TestAllowanceBoundsOneList: pages of one item need a request per user; with an allowance
// (a collector's share of the request budget) the list fails at once, before sending them.
func TestAllowanceBoundsOneList(t *testing.T) {
	var requests atomic.Int32
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		listServer(func(offset, _ int) ([]string, int) { return userItems(offset, offset+1), 1500 })(w, r)
	})
	ctx := WithRequestAllowance(context.Background(), 100)
	_, err := c.ListUsers(ctx, func(User) {})
	if KindOf(err) != KindBudgetExhausted || !strings.Contains(err.Error(), "share of the request budget") {
		t.Fatalf("err = %v, want %s about the collection's share", err, KindBudgetExhausted)
	}
	if requests.Load() != 1 {
		t.Errorf("%d requests, want only the first page", requests.Load())
	}

	// A total that grows (within the drift tolerance) once the read has started is stopped by
	// the allowance when the next request would exceed it.
	requests.Store(0)
	c = newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		listServer(func(offset, _ int) ([]string, int) {
			total := 20 + 2*(offset/10) // two users more on every page: within the drift tolerated
			return userItems(offset, min(offset+10, total)), total
		})(w, r)
	}, func(c *Config) { c.PageConcurrency = 1 })
	_, err = c.ListUsers(WithRequestAllowance(context.Background(), 2), func(User) {})
	if KindOf(err) != KindBudgetExhausted || requests.Load() != 2 {
		t.Errorf("err = %v after %d requests, want %s after 2", err, requests.Load(), KindBudgetExhausted)
	}
}

// TestKeyEchoedInDisguiseIsRedacted: the key was removed only where echoed exactly; an upstream
// that echoes it lower-cased, cut by one character, or HTML-entity encoded in a page title got
// it into errors (and from there into logs, check's output and the status page).
func TestKeyEchoedInDisguiseIsRedacted(t *testing.T) {
	entities := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			fmt.Fprintf(&b, "&#%d;", r)
		}
		return b.String()
	}
	for name, h := range map[string]http.HandlerFunc{
		"lower-cased": func(w http.ResponseWriter, r *http.Request) {
			jsonReply(w, 403, `{"errors":[{"code":"access_denied","message":"key `+strings.ToLower(r.Header.Get("X-DC-DEVKEY"))+` is unknown"}]}`)
		},
		"last character cut": func(w http.ResponseWriter, r *http.Request) {
			k := r.Header.Get("X-DC-DEVKEY")
			jsonReply(w, 403, `{"errors":[{"code":"bad|`+k[:len(k)-1]+`","message":"no"}]}`)
		},
		"upper-cased in an HTML title": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			fmt.Fprintf(w, "<html><title>%s</title></html>", strings.ToUpper(r.Header.Get("X-DC-DEVKEY")))
		},
		"entity-encoded in an HTML title": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(403)
			fmt.Fprintf(w, "<html><title>Key %s</title></html>", entities(r.Header.Get("X-DC-DEVKEY")[:30]))
		},
		"entity-encoded twice in an HTML title": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(403)
			fmt.Fprintf(w, "<html><title>Key %s</title></html>", strings.ReplaceAll(entities(r.Header.Get("X-DC-DEVKEY")[:30]), "&", "&amp;"))
		},
		"in a 200 HTML page's title, content type and CDN header": func(w http.ResponseWriter, r *http.Request) {
			k := r.Header.Get("X-DC-DEVKEY")
			w.Header().Set("Content-Type", "text/html; charset="+k)
			w.Header().Set("X-Cdn", strings.ToLower(k))
			fmt.Fprintf(w, "<html><title>Key %s</title></html>", entities(k[:30]))
		},
		"in a 200 body of the wrong shape": func(w http.ResponseWriter, r *http.Request) {
			jsonReply(w, 200, `{"users":"`+strings.ToLower(r.Header.Get("X-DC-DEVKEY"))+`"}`)
		},
	} {
		t.Run(name, func(t *testing.T) {
			c := newTestClient(t, h)
			_, err := c.ListUsers(context.Background(), func(User) {})
			if err == nil {
				t.Fatal("no error")
			}
			// Whoever reads the error may decode its entities again, as often as it takes.
			shown := err.Error()
			for range 4 {
				shown = html.UnescapeString(shown)
			}
			if run := keyRunIn(shown, testKey); run != "" {
				t.Errorf("the error shows %q of the key (entities decoded): %s", run, err)
			}
			if !strings.Contains(err.Error(), "<redacted>") {
				t.Errorf("the error does not say that something was removed: %s", err)
			}
		})
	}
}

// TestErrorTextIsBounded: an error message of 60 KB from the API makes an error of a few
// hundred bytes.
func TestErrorTextIsBounded(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, _ *http.Request) {
		jsonReply(w, 500, `{"errors":[{"code":"`+strings.Repeat("c", 30000)+`","message":"`+strings.Repeat("m", 30000)+`"}]}`)
	}, func(c *Config) { c.MaxRetries = -1 })
	_, err := c.ListUsers(context.Background(), func(User) {})
	if err == nil || len(err.Error()) > 2048 {
		t.Errorf("error of %d bytes: %.200s", len(err.Error()), err)
	}
}

// TestControlCharacterInHeader: a header with a control character is an answer we cannot
// read, not a network problem: it was reported as "connection", with DNS advice.
func TestControlCharacterInHeader(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 4096)
			_, _ = conn.Read(buf)
			_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Trace: a\x01b\r\nContent-Length: 2\r\n\r\n{}")
			conn.Close()
		}
	}()
	c, err := New(Config{BaseURL: "http://" + ln.Addr().String() + "/services/v2", APIKey: testKey, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListUsers(context.Background(), func(User) {})
	if KindOf(err) != KindInvalidResponse {
		t.Errorf("err = %v, want %s", err, KindInvalidResponse)
	}
}
