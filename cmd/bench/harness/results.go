package harness

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Row is one measured figure, with its control and the ratio when there is one.
type Row struct {
	Name    string  `json:"name"`
	Value   float64 `json:"value"`
	Unit    string  `json:"unit"`
	Control float64 `json:"control,omitempty"`
	Ratio   float64 `json:"ratio,omitempty"`
	P50ms   float64 `json:"p50_ms,omitempty"`
	P99ms   float64 `json:"p99_ms,omitempty"`
	Note    string  `json:"note,omitempty"`
}

// Report is what a full run writes as JSON: when, on what machine, and every row.
type Report struct {
	When    time.Time `json:"when"`
	Machine string    `json:"machine"`
	Rows    []Row     `json:"rows"`
}

// PrintHeader prints the table's header line.
func PrintHeader() {
	fmt.Printf("%-52s %14s %14s %8s %9s %9s  %s\n", "figure", "value", "control", "ratio", "p50 ms", "p99 ms", "note")
}

// WriteReport writes the report as JSON to out (making its folder) and says where.
func WriteReport(rep *Report, out string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(rep, "", "  ")
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return err
	}
	fmt.Println("machine:", rep.Machine, "·", rep.When.Format(time.DateOnly))
	fmt.Println("results written to", out)
	return nil
}

// PrintRow prints one row of the table.
func PrintRow(r Row) {
	f := func(v float64) string {
		if v == 0 {
			return "-"
		}
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	val := f(r.Value) + " " + r.Unit
	ctl := "-"
	if r.Control != 0 {
		ctl = f(r.Control) + " " + r.Unit
	}
	fmt.Printf("%-52s %14s %14s %8s %9s %9s  %s\n", r.Name, val, ctl, f(r.Ratio), f(r.P50ms), f(r.P99ms), r.Note)
}

// Machine describes this machine: its cores, processor and memory.
func Machine() string {
	cpu := "unknown cpu"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				cpu = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
				break
			}
		}
	}
	var si syscall.Sysinfo_t
	syscall.Sysinfo(&si)
	return fmt.Sprintf("%d cores (%s), %.0f GiB", numCPU(), cpu, float64(si.Totalram)/(1<<30))
}

func numCPU() int {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return strings.Count(string(b), "processor\t:")
}
