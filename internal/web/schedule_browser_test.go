package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// In a real browser, an admin plans a freeze from the form and sees, in
// the month view, two changes on the same CI marked as clashing and the
// freeze over them; the week and list views and the freeze pages fit a
// phone.
func TestBrowserChangeCalendar(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	shots := os.Getenv("STEWARD_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ci := firstCI(t, s)
	day := time.Date(2031, 5, 14, 8, 0, 0, 0, time.UTC)
	a := addChange(t, s, "Patch the primary database", "scheduled", day, day.Add(2*time.Hour), ci)
	b := addChange(t, s, "Resize the disks", "draft", day.Add(time.Hour), day.Add(3*time.Hour), ci)
	addChange(t, s, "Rotate certificates", "approval", day.AddDate(0, 0, 5), day.AddDate(0, 0, 5).Add(time.Hour), ci)
	addChange(t, s, "Firewall rules", "closed", day.AddDate(0, 0, -7), day.AddDate(0, 0, -7).Add(time.Hour), ci)

	tb := openTab(t, bin, s.url, shots)
	tb.login("admin@steward.demo")
	tb.do(
		chromedp.Navigate(s.url+"/freeze-periods/new"),
		chromedp.WaitVisible(chromedp.CSS("#freeze-name")),
		chromedp.SendKeys(chromedp.CSS("#freeze-name"), "Data centre move"),
		chromedp.SetValue(chromedp.CSS("#freeze-start"), "2031-05-20T18:00"),
		chromedp.SetValue(chromedp.CSS("#freeze-end"), "2031-05-23T08:00"),
		chromedp.Click(chromedp.CSS(`form button[type="submit"].btn-primary`)),
	)
	tb.waitFlash("Saved.")
	tb.shot("freeze-periods")

	tb.do(chromedp.Navigate(s.url+"/change-calendar?view=month&date=2031-05-01"),
		chromedp.WaitVisible(chromedp.CSS(`.cal-view-month .cal-item.cal-clashing a[href="/changes/`+a+`"]`)))
	title, err := chromedp.Run(tb.ctx, chromedp.AttributeValue(chromedp.CSS(`.cal-clashing a[href="/changes/`+a+`"]`), "title"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(title.Value, "Overlaps "+b+" on the same CI") {
		t.Errorf("the clash says %q", title.Value)
	}
	if n := tb.text(".cal-clash-note"); !strings.Contains(n, "2 change(s) here clash") {
		t.Errorf("the note says %q", n)
	}
	if got := tb.text(`.cal-day[data-date="2031-05-21"] .cal-freeze`); !strings.Contains(got, "Data centre move") {
		t.Errorf("the freeze is not on the 21st: %q", got)
	}
	tb.shot("change-calendar-month")
	tb.darkShot("change-calendar-month")

	for _, path := range []string{"/change-calendar?view=month&date=2031-05-01", "/change-calendar?view=week&date=2031-05-14",
		"/change-calendar?view=list&date=2031-05-14", "/freeze-periods?past=1", "/freeze-periods/new"} {
		tb.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)), chromedp.Navigate(s.url+path), chromedp.WaitReady(chromedp.CSS("body")))
		raw, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](phoneAuditJS))
		if err != nil {
			t.Fatal(err)
		}
		var pa phoneAudit
		if err := json.Unmarshal([]byte(raw), &pa); err != nil {
			t.Fatal(err)
		}
		if pa.Overflow > 0 || len(pa.Codes) > 0 {
			t.Errorf("%s on a phone: %d px too wide %v, codes %v", path, pa.Overflow, pa.Wide, pa.Codes)
		}
	}
	tb.do(chromedp.EmulateViewport(1366, 900), chromedp.Navigate(s.url+"/change-calendar?view=week&date=2031-05-14"),
		chromedp.WaitVisible(chromedp.CSS(`.cal-view-week a[href="/changes/`+b+`"]`)))
	tb.shot("change-calendar-week")
	tb.do(chromedp.Navigate(s.url+"/change-calendar?view=list&date=2031-05-14"), chromedp.WaitVisible(chromedp.CSS(`.cal-list a[href="/changes/`+b+`"]`)))
	tb.shot("change-calendar-list")
	var erp int64
	s.app.DB.QueryRow(context.Background(), "SELECT id FROM services WHERE name = 'ERP'").Scan(&erp)
	tb.do(chromedp.Navigate(s.url+fmt.Sprintf("/change-calendar?view=week&date=2031-05-14&service=%d", erp)),
		chromedp.WaitVisible(chromedp.CSS(`.cal-view-week .cal-maintenance`)))
	tb.shot("change-calendar-maintenance")
}
