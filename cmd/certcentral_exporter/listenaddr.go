package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"

	"github.com/alecthomas/kingpin/v2"

	"github.com/certcentral-exporter/certcentral_exporter/internal/listenaddr"
)

// addListenAddressFileFlag defines --web.listen-address-file. It is hidden: a hook for tests
// and scripts that start the exporter with --web.listen-address=127.0.0.1:0 and need the port
// the kernel picked, not a setting for deployments.
func addListenAddressFileFlag(app *kingpin.Application) *string {
	return app.Flag("web.listen-address-file", "Once listening, write the bound address of every listener (one per line) to this file, replacing it atomically. For callers that listen on port 0.").
		Hidden().String()
}

// reportListenAddresses makes server write the address of each listener it serves on to path
// (nothing when path is empty). The hook is http.Server.BaseContext, which Serve calls with the
// bound listener before accepting: it sees every listener exporter-toolkit opens (addresses,
// systemd sockets, TLS) without copying its listening code. A failed write is logged and the
// exporter keeps serving; the caller waiting for the file then times out with that log.
func reportListenAddresses(server *http.Server, path string, logger *slog.Logger) {
	if path == "" {
		return
	}
	reporter := listenaddr.NewReporter(path)
	base := server.BaseContext
	server.BaseContext = func(l net.Listener) context.Context {
		if err := reporter.Add(l.Addr().String()); err != nil {
			logger.Error("cannot report the listen address", "file", path, "err", err)
		}
		if base != nil {
			return base(l)
		}
		return context.Background()
	}
}
