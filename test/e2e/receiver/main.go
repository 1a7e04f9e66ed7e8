// Command receiver is the end-to-end test's Alertmanager webhook receiver. It records every alert
// of every notification Alertmanager sends (POST /alerts) and serves the record back as JSON
// (GET /alerts), so that the e2e check can assert which alerts reached a receiver, with which
// labels and annotations. It logs one line per alert received.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Alert is one alert as Alertmanager's webhook sends it, plus when it arrived.
type Alert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
	Receiver    string            `json:"receiver"`
	ReceivedAt  time.Time         `json:"receivedAt"`
}

// notification is the webhook payload (version 4); fields the test does not need are left out.
type notification struct {
	Version  string  `json:"version"`
	Receiver string  `json:"receiver"`
	Status   string  `json:"status"`
	Alerts   []Alert `json:"alerts"`
}

type store struct {
	mu     sync.Mutex
	alerts []Alert
}

func (s *store) add(n notification, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range n.Alerts {
		a.Receiver, a.ReceivedAt = n.Receiver, now
		s.alerts = append(s.alerts, a)
		log.Printf("received %s %s %s", a.Status, a.Labels["alertname"], formatLabels(a.Labels))
	}
}

func (s *store) all() []Alert {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Alert(nil), s.alerts...)
}

func formatLabels(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		if k != "alertname" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, l[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func (s *store) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/alerts" && r.Method == http.MethodPost:
		var n notification
		if err := json.NewDecoder(io.LimitReader(r.Body, 8<<20)).Decode(&n); err != nil {
			http.Error(w, "bad webhook payload: "+err.Error(), http.StatusBadRequest)
			return
		}
		s.add(n, time.Now())
		w.WriteHeader(http.StatusOK)
	case r.URL.Path == "/alerts" && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.all())
	case r.URL.Path == "/-/healthy":
		_, _ = io.WriteString(w, "ok\n")
	default:
		http.NotFound(w, r)
	}
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (keep it on loopback; port 0: the kernel picks one, read it back from the log or the kernel)")
	flag.Parse()
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Print(err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: &store{}, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Printf("webhook receiver listening on %s", ln.Addr())
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Print(err)
		os.Exit(1)
	}
}
