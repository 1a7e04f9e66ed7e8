package main

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/certcentral-exporter/certcentral_exporter/internal/accounts"
)

// configCheck is --config.check: it reads the config (the file, or the flags' one account),
// checks it whole and that every account's key can be read, prints the accounts and returns
// the exit status: 0 valid, 2 invalid. It sends nothing to CertCentral.
func configCheck(s *settings, w io.Writer) int {
	source := s.configFile
	if source == "" {
		source = "the command line (no --config.file)"
	}
	cfg, err := s.accountsConfig()
	if err != nil {
		fmt.Fprintf(w, "INVALID %s\n%v\n", source, err)
		return checkSetupErr
	}
	var b strings.Builder
	bad := 0
	for _, a := range cfg.Accounts {
		key, err := a.LoadKey(os.Getenv)
		if err == nil { // the client's own checks (plain HTTP to another host), sending nothing
			_, _, err = accounts.NewClient(a, key, accounts.Options{}, nil)
		}
		state := "key readable"
		switch {
		case err != nil:
			bad++
			state = "NOT USABLE: " + err.Error()
		case key.Warning != "":
			state = "key readable; warning: " + key.Warning
		}
		fmt.Fprintf(&b, "  %s  %s  key from %s: %s  collectors: %s\n", a.Name, a.URL, a.KeySource(), state, strings.Join(a.Collectors, ","))
	}
	verdict := "OK"
	if bad > 0 {
		verdict = "INVALID"
	}
	fmt.Fprintf(w, "%s %s: %d account(s)\n%s", verdict, source, len(cfg.Accounts), b.String())
	if bad > 0 {
		fmt.Fprintf(w, "%d account(s) cannot be used (key or URL): the exporter would refuse this config\n", bad)
		return checkSetupErr
	}
	return checkOK
}

// configPage serves /config: the loaded configuration in the config file's format, every
// setting spelt out. Key sources are shown as their file path or variable name, never a key.
func configPage(set *accounts.Set, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "only GET and HEAD", http.StatusMethodNotAllowed)
			return
		}
		cfg := set.Config()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		source := cfg.Source
		if source == "" {
			source = "the command line"
		}
		if _, err := fmt.Fprintf(w, "# Loaded from %s.\n%s", source, cfg.YAML()); err != nil {
			logger.Debug("cannot write /config", "err", err)
		}
	})
}
