//go:build !pprof

package main

import (
	"log/slog"
	"runtime"
)

// servePprof says that this build has no profiler: PPROF_ADDR needs a build with the pprof tag (make
// build-pprof), which links net/http/pprof.
func servePprof(addr string, log *slog.Logger) {
	log.Warn("PPROF_ADDR is set but this build has no profiler: build it with `make build-pprof` (go build -tags pprof)", "addr", addr)
}

// Without the profiler nothing can read a memory profile, so the runtime keeps none: no stack recorded for
// every 512 KiB allocated, and no table of them.
func init() { runtime.MemProfileRate = 0 }
