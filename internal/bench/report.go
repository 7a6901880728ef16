package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// RSS is a process's memory as Linux reports it in /proc/PID/status.
type RSS struct {
	PID   int   `json:"pid"`
	VmRSS int64 `json:"vm_rss_kb"` // resident now
	VmHWM int64 `json:"vm_hwm_kb"` // peak resident ("high water mark")
}

// ReadRSS reads VmRSS and VmHWM of a process from /proc.
func ReadRSS(pid int) (RSS, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return RSS{}, fmt.Errorf("read memory of process %d: %w", pid, err)
	}
	defer f.Close()
	return parseStatus(pid, f)
}

func parseStatus(pid int, r io.Reader) (RSS, error) {
	out := RSS{PID: pid}
	var seen int
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		fields := strings.Fields(val) // "123456 kB"
		if len(fields) != 2 || fields[1] != "kB" {
			return out, fmt.Errorf("process %d: unexpected %s line %q", pid, key, sc.Text())
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return out, fmt.Errorf("process %d: %s: %w", pid, key, err)
		}
		if key == "VmRSS" {
			out.VmRSS = n
		} else {
			out.VmHWM = n
		}
		seen++
	}
	if err := sc.Err(); err != nil {
		return out, err
	}
	if seen < 2 {
		return out, fmt.Errorf("process %d: no VmRSS/VmHWM in its status (a kernel thread?)", pid)
	}
	return out, nil
}

// WriteJSON writes the result as one indented JSON document.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the result for people.
func (r *Result) WriteText(w io.Writer) {
	fmt.Fprintf(w, "scenario    %s, %d clients, stopped by %s\n", r.Scenario, r.Clients, r.StoppedBy)
	fmt.Fprintf(w, "requests    %d in %s: %.1f req/s\n", r.Requests, fmtDur(time.Duration(r.Elapsed)), r.PerSecond)
	keys := make([]string, 0, len(r.Statuses))
	for k := range r.Statuses {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, r.Statuses[k])
	}
	fmt.Fprintf(w, "statuses    %s\n", strings.Join(parts, ", "))
	fmt.Fprintf(w, "errors      %d\n", r.Errors)
	fmt.Fprintf(w, "latency     %s\n", r.Latency)
	if len(r.Queries) > 1 {
		fmt.Fprintln(w, "\nby request:")
		width := 0
		for _, q := range r.Queries {
			width = max(width, len(q.Label), len("all ")+len(q.Op))
		}
		line := func(label string, q OpResult) {
			fmt.Fprintf(w, "  %-*s %8d %9.1f/s %5d err  %s\n", width, label, q.Requests, q.PerSecond, q.Errors, q.Latency)
		}
		for _, o := range r.Ops {
			var labels []OpResult
			for _, q := range r.Queries {
				if q.Op == o.Op {
					labels = append(labels, q)
				}
			}
			if len(labels) > 1 {
				line("all "+string(o.Op), o)
			}
			for _, q := range labels {
				line(q.Label, q)
			}
		}
	}
	if len(r.FirstErrors) > 0 {
		fmt.Fprintln(w, "\nfirst error per status:")
		keys := make([]string, 0, len(r.FirstErrors))
		for k := range r.FirstErrors {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "  %s: %s\n", k, r.FirstErrors[k])
		}
	}
	if c := r.Costs; c != nil {
		fmt.Fprintf(w, "\nper request %.0f allocations (%.1f KB), %.1f SQL statements, %.1f requests per commit (server counters)\n",
			c.Allocs, c.AllocBytes/1024, c.Statements, c.PerCommit)
	}
	if p := r.Probe; p != nil {
		fmt.Fprintf(w, "sqlite probe %.0f incidents/s, one incident and audit row per transaction (%d in %s); this run did %.2f of that\n",
			p.PerSecond, p.Rows, p.Duration, r.PerSecond/p.PerSecond)
	}
	if r.RSS != nil {
		fmt.Fprintf(w, "\nserver RSS  VmRSS %.1f MB, VmHWM (peak) %.1f MB (pid %d)\n",
			float64(r.RSS.VmRSS)/1024, float64(r.RSS.VmHWM)/1024, r.RSS.PID)
	}
}

func (l Latency) String() string {
	if l.N == 0 {
		return "no samples"
	}
	return fmt.Sprintf("p50 %s  p90 %s  p95 %s  p99 %s  max %s  (mean %s)", l.P50, l.P90, l.P95, l.P99, l.Max, l.Mean)
}

// fmtDur prints a duration with three significant digits in ms or s.
func fmtDur(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms < 10:
		return fmt.Sprintf("%.2fms", ms)
	case ms < 1000:
		return fmt.Sprintf("%.1fms", ms)
	default:
		return fmt.Sprintf("%.2fs", ms/1000)
	}
}
