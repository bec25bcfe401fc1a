//go:build !pprof

package main

import "log/slog"

// servePprof says that this build has no profiler: PPROF_ADDR needs a build with the pprof tag (make
// build-pprof), which links net/http/pprof.
func servePprof(addr string, log *slog.Logger) {
	log.Warn("PPROF_ADDR is set but this build has no profiler: build it with `make build-pprof` (go build -tags pprof)", "addr", addr)
}
