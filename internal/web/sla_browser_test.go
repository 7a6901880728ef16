package web_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// An agent sees the timers on an incident, the breaching-soon queue and
// the SLA report of the demo, in a real browser.
func TestBrowserServiceLevels(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	shots := os.Getenv("STEWARD_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	root, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	alloc, cancelAlloc := chromedp.NewExecAllocator(root,
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 900),
	)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(alloc)
	defer cancelTab()
	b := &tab{t: t, ctx: ctx, base: s.url, shots: shots}
	b.do(chromedp.EmulateViewport(1366, 900))
	b.login("agent@steward.demo")

	// An open incident of the demo shows its clocks.
	var open int64
	if err := s.app.DB.QueryRow(context.Background(), `SELECT ticket_id FROM sla_timers WHERE ticket_kind = 'incident'
		AND stopped_at IS NULL ORDER BY ticket_id LIMIT 1`).Scan(&open); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.Navigate(s.url+"/incidents/"+ref(open)), chromedp.WaitVisible(chromedp.CSS(".sla-timers")))
	timers := b.text(".sla-timers")
	if !strings.Contains(timers, "Used") || !strings.Contains(timers, "Agreement") {
		t.Fatalf("timers panel: %q", timers)
	}
	b.shot("incident-sla")

	// A clock whose target is used up reads as overdue, with the instant,
	// never as running with nothing left.
	var late int64
	if err := s.app.DB.QueryRow(context.Background(), `SELECT ticket_id FROM sla_timers WHERE ticket_kind = 'incident'
		AND stopped_at IS NULL AND state = 'breached' ORDER BY ticket_id LIMIT 1`).Scan(&late); err != nil {
		t.Fatalf("the demo has no overdue incident: %v", err)
	}
	b.do(chromedp.Navigate(s.url+"/incidents/"+ref(late)), chromedp.WaitVisible(chromedp.CSS(".sla-timers")))
	timers = b.text(".timer-breached")
	if !strings.Contains(timers, "Overdue") || !strings.Contains(timers, "Overdue since") || strings.Contains(timers, "left") ||
		strings.Contains(strings.ToLower(timers), "running") {
		t.Errorf("an overdue clock reads %q", timers)
	}
	b.shot("incident-sla-overdue")

	b.do(chromedp.Navigate(s.url+"/sla/breaching?within=72h"), chromedp.WaitVisible(chromedp.CSS("h1")))
	b.shot("breaching")
	b.do(chromedp.Navigate(s.url+"/reports/sla"), chromedp.WaitVisible(chromedp.CSS("table.sla-report")))
	if got := b.text("table.sla-report"); !strings.Contains(got, "Resolution") || !strings.Contains(got, "%") {
		t.Fatalf("report: %q", got)
	}
	b.shot("sla-report")
	b.darkShot("sla-report")
}

func ref(id int64) string { return fmt.Sprintf("INC-%06d", id) }
