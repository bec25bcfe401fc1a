//go:build pprof

package main

import (
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"
)

// servePprof serves Go's profiling endpoints on their own address, never on the public one. Only a build with
// the pprof tag (make build-pprof) has them: net/http/pprof and runtime/pprof cost the binary 0.39 MB and a
// resident 0.4 MiB that every other server would carry for nothing.
func servePprof(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	log.Info("pprof", "url", "http://"+addr+"/debug/pprof/")
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		log.Error("pprof server", "err", err)
	}
}
