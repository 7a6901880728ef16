package api_test

import (
	"bytes"
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

// TestAlertmanagerDeliversToSteward points a real Prometheus Alertmanager
// (the binary named by STEWARD_TEST_ALERTMANAGER) at Steward's webhook,
// posts an alert to it, then the alert's end, and expects the trigger and
// the resolve stored.
func TestAlertmanagerDeliversToSteward(t *testing.T) {
	bin := os.Getenv("STEWARD_TEST_ALERTMANAGER")
	if bin == "" {
		t.Skip("Alertmanager not tested: set STEWARD_TEST_ALERTMANAGER to its binary (Debian: /usr/bin/prometheus-alertmanager)")
	}
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newIngestFixture(t, e)
		am := startAlertmanager(t, bin, f.url+"/api/v1/webhooks/alertmanager?key="+f.keys["alertmanager"], "")
		alertmanagerDelivers(t, e, f, am)
	})
}

// TestAlertmanagerSendsTheKeyAsAuthorization is the same delivery with
// the routing key in the receiver's http_config.authorization, kept out
// of the URL.
func TestAlertmanagerSendsTheKeyAsAuthorization(t *testing.T) {
	bin := os.Getenv("STEWARD_TEST_ALERTMANAGER")
	if bin == "" {
		t.Skip("Alertmanager not tested: set STEWARD_TEST_ALERTMANAGER to its binary (Debian: /usr/bin/prometheus-alertmanager)")
	}
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newIngestFixture(t, e)
		am := startAlertmanager(t, bin, f.url+"/api/v1/webhooks/alertmanager",
			"        http_config:\n          authorization:\n            credentials: '"+f.keys["alertmanager"]+"'\n")
		alertmanagerDelivers(t, e, f, am)
	})
}

func alertmanagerDelivers(t *testing.T, e storetest.Engine, f *ingestFixture, am string) {
	t.Helper()
	alert := func(ends string) string {
		return `[{"labels":{"alertname":"GatewayDown","instance":"gw-7:9100","severity":"critical","site":"north"},
			"annotations":{"summary":"Gateway gw-7 is down"},"startsAt":"` + time.Now().Add(-time.Minute).UTC().Format(time.RFC3339) + `"` + ends + `}]`
	}
	postAlerts(t, am, alert(""))
	f.eventually(t, "the trigger", `SELECT COUNT(*) FROM events WHERE integration_id = ? AND action = 'trigger' AND device = 'gw-7' AND severity = 'critical'`)
	postAlerts(t, am, alert(`,"endsAt":"`+time.Now().Add(-time.Second).UTC().Format(time.RFC3339)+`"`))
	f.eventually(t, "the resolve", `SELECT COUNT(*) FROM events WHERE integration_id = ? AND action = 'resolve' AND device = 'gw-7'`)

	var check, summary string
	if err := e.DB.QueryRow(t.Context(), `SELECT check_name, summary FROM events WHERE integration_id = ? AND action = 'trigger'`, f.ids["alertmanager"]).
		Scan(&check, &summary); err != nil {
		t.Fatal(err)
	}
	if check != "GatewayDown" || summary != "Gateway gw-7 is down" {
		t.Fatalf("stored %q %q", check, summary)
	}
}

// eventually polls query (with the Alertmanager integration's id) until it
// counts at least one row, for at most 20 seconds.
func (f *ingestFixture) eventually(t *testing.T, what, query string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n int
		if err := f.e.DB.QueryRow(t.Context(), query, f.ids["alertmanager"]).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Alertmanager did not deliver %s within 20 s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startAlertmanager runs Alertmanager on a free local port with its own
// storage and a webhook receiver at hook, and stops it (by its process)
// when the test ends. It returns Alertmanager's base URL.
func startAlertmanager(t *testing.T, bin, hook, extra string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`route:
  receiver: steward
  group_by: ['alertname', 'instance']
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: steward
    webhook_configs:
      - url: '%s'
        send_resolved: true
%s`, hook, extra)
	if err := os.WriteFile(filepath.Join(dir, "alertmanager.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "alertmanager.yml"), "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=warn")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Alertmanager: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("Alertmanager's output:\n%s", out.String())
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(base + "/-/ready")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("Alertmanager was not ready within 20 s: %v\n%s", err, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func postAlerts(t *testing.T, base, body string) {
	t.Helper()
	res, err := http.Post(base+"/api/v2/alerts", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("Alertmanager refused the alert: %d", res.StatusCode)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
