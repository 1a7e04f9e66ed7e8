package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/certcentral-exporter/certcentral_exporter/internal/accounts"
)

// reloader re-reads the configuration (the config file, or the flags' key file) on SIGHUP and
// POST /-/reload. The new config is checked whole, keys included, before anything changes; a
// bad one is refused and the old one keeps serving.
type reloader struct {
	s       *settings
	set     *accounts.Set
	logger  *slog.Logger
	mu      sync.Mutex
	success prometheus.Gauge
	when    prometheus.Gauge
}

func newReloader(s *settings, set *accounts.Set, logger *slog.Logger, reg prometheus.Registerer) *reloader {
	r := &reloader{
		s: s, set: set, logger: logger,
		success: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "certcentral_exporter_config_last_reload_successful",
			Help: "1 if the last configuration load (at start, SIGHUP or POST /-/reload) succeeded, else 0: the previous configuration is still in use.",
		}),
		when: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "certcentral_exporter_config_last_reload_success_timestamp_seconds",
			Help: "When the configuration was last loaded successfully, as a Unix timestamp.",
		}),
	}
	reg.MustRegister(r.success, r.when)
	r.success.Set(1)
	r.when.SetToCurrentTime()
	return r
}

func (r *reloader) reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	cfg, err := r.s.accountsConfig()
	if err != nil {
		return r.refused(err)
	}
	ch, err := r.set.Apply(cfg)
	if err != nil {
		return r.refused(err)
	}
	r.success.Set(1)
	r.when.SetToCurrentTime()
	r.logger.Info("configuration reloaded", "accounts", len(cfg.Accounts), "kept", ch.Kept,
		"added", ch.Added, "replaced", ch.Replaced, "removed", ch.Removed)
	return nil
}

// refused records a failed reload: the metric says so, and the previous config stays.
func (r *reloader) refused(err error) error {
	r.success.Set(0)
	r.logger.Error("configuration reload refused; the previous configuration stays in use", "err", err)
	return err
}

func (r *reloader) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "reload with POST", http.StatusMethodNotAllowed)
		return
	}
	if err := r.reload(); err != nil {
		http.Error(w, fmt.Sprintf("reload refused, the previous configuration stays in use: %v", err), http.StatusBadRequest)
		return
	}
	fmt.Fprintf(w, "configuration reloaded at %s\n", time.Now().UTC().Format(time.RFC3339))
}
