package capacity

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"steward/internal/store/storetest"
)

// startPrometheus runs the Prometheus server named by
// STEWARD_TEST_PROMETHEUS on a free local port, scraping itself every
// second, and returns its address once it answers.
func startPrometheus(t *testing.T) string {
	bin := os.Getenv("STEWARD_TEST_PROMETHEUS")
	if bin == "" {
		t.Skip("STEWARD_TEST_PROMETHEUS is not set: set it to a Prometheus server binary (Debian: apt-get install prometheus; /usr/bin/prometheus) to test reading its query API")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	conf := fmt.Sprintf("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['%s']\n", addr)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr)
	log, _ := os.Create(filepath.Join(dir, "prometheus.log"))
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := "http://" + addr
	for i := 0; i < 100; i++ {
		if res, err := http.Get(base + "/-/ready"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return base
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	out, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
	t.Fatalf("Prometheus did not become ready at %s:\n%s", base, out)
	return ""
}

// A series pointed at a real Prometheus server is filled from its query
// API; the next read goes on from where the last stopped; a query giving
// several series or a broken query leaves its error on the series.
func TestPollReadsARealPrometheus(t *testing.T) {
	base := startPrometheus(t)
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		x := newFx(t, e)
		x.svc.Now = time.Now
		sr, err := x.svc.Create(x.ctx, admin, NewSeries{ServiceID: &x.service, Metric: "scraped_series",
			SeriesPatch: SeriesPatch{SourceURL: ptr(base + "/"), SourceQuery: ptr("sum(prometheus_tsdb_head_series)"), SourceStep: ptr(15)}})
		if err != nil {
			t.Fatal(err)
		}
		var got int
		for i := 0; i < 60 && got == 0; i++ { // until a 15 s step falls after the first scrape
			if err := x.svc.Poll(context.Background(), jobFor()); err != nil {
				t.Fatal(err)
			}
			got = x.count(`SELECT COUNT(*) FROM capacity_samples WHERE series_id = ?`, sr.ID)
			if got == 0 {
				time.Sleep(time.Second)
			}
		}
		if got == 0 {
			t.Fatal("no samples read from Prometheus in a minute")
		}
		// The value is Prometheus' own count of series at the step read;
		// at the first scrape of a server that has just started it is
		// still 0, so a read value is any number, not a positive one.
		after, _ := x.svc.Get(x.ctx, admin, sr.ID)
		if after.PolledUntil == nil || after.LastValue == nil || *after.LastValue < 0 || after.PollError != "" {
			t.Fatalf("series after reading: %+v", after)
		}
		// Reading again right away reads nothing twice.
		n, err := x.svc.PollSeries(x.ctx, after)
		if err != nil || n > 1 {
			t.Fatalf("second read: %d new, %v", n, err)
		}
		for query, want := range map[string]string{
			`prometheus_http_requests_total`: "aggregate it to one",
			`sum(rate(`:                      "refused the query",
		} {
			bad, err := x.svc.Create(x.ctx, admin, NewSeries{ServiceID: &x.service, Metric: "bad" + itoa(int64(len(query))),
				SeriesPatch: SeriesPatch{SourceURL: ptr(base), SourceQuery: ptr(query), SourceStep: ptr(15)}})
			if err != nil {
				t.Fatal(err)
			}
			var failed error
			for i := 0; i < 30; i++ { // until the counter has series of several handlers
				if _, failed = x.svc.PollSeries(x.ctx, bad); failed != nil {
					break
				}
				time.Sleep(time.Second)
			}
			bad, _ = x.svc.Get(x.ctx, admin, bad.ID)
			if failed == nil || !strings.Contains(bad.PollError, want) {
				t.Fatalf("%s: error %v, kept %q", query, failed, bad.PollError)
			}
		}
	})
}
