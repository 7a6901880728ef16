package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// In a real browser, an administrator opens the dashboard and sees a
// chart drawn on each tile with data, follows a figure to the records
// behind it, arranges their own dashboard (adds a tile, moves it, removes
// another) and finds it so; a requester then sees their organisation's
// dashboard with charts.
func TestBrowserDashboard(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	shots := os.Getenv("STEWARD_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tb := openTab(t, bin, s.url, shots)
	tb.do(chromedp.EmulateViewport(1280, 900))
	tb.login("admin@steward.demo")
	tb.do(chromedp.Navigate(s.url+"/dashboard"), chromedp.WaitVisible(chromedp.CSS(".dash-chart canvas")))
	tiles := tb.count(".dash-tile")
	charts := tb.count(".dash-chart canvas")
	if tiles < 6 || charts < tiles/2 {
		t.Errorf("the SMS manager's dashboard has %d tiles and %d charts", tiles, charts)
	}
	dashShot(tb, "dashboard")

	href, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.querySelector("#tile-incident-within-sla a.dash-figure").getAttribute("href")`))
	if err != nil || !strings.HasPrefix(href, "/reports/sla") {
		t.Fatalf("the SLA tile's figure links to %q (%v)", href, err)
	}
	tb.navigates(chromedp.Click(chromedp.CSS("#tile-incident-within-sla a.dash-figure")))
	if p := tb.currentPath(); p != "/reports/sla" {
		t.Errorf("the figure led to %s", p)
	}

	tb.do(chromedp.Navigate(s.url+"/dashboard/edit?board=mine"), chromedp.WaitVisible(chromedp.CSS("#dash-editor")))
	before := tb.count("#dash-order li")
	tb.do(chromedp.SetValue(chromedp.CSS("#dash-add"), "incident-backlog"))
	tb.navigates(chromedp.Click(chromedp.CSS("#dash-add-button")))
	tb.waitFlash("Dashboard saved.")
	if after := tb.count("#dash-order li"); after != before+1 {
		t.Errorf("adding a tile: %d tiles, were %d", after, before)
	}
	last := tb.count("#dash-order li") - 1
	tb.navigates(chromedp.Click(chromedp.CSS(`#order-incident-backlog button[value="up:` + strconv.Itoa(last) + `"]`)))
	tb.waitFlash("Dashboard saved.")
	order := tb.text("#dash-order")
	if i, j := strings.Index(order, "Open incidents"), strings.LastIndex(order, "·"); i < 0 || i > j {
		t.Errorf("the added tile did not move up: %q", order)
	}
	first, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.querySelector("#dash-order li input").value`))
	if err != nil {
		t.Fatal(err)
	}
	tb.navigates(chromedp.Click(chromedp.CSS(`button[value="remove:0"]`)))
	tb.waitFlash("Dashboard saved.")
	dashShot(tb, "dashboard-editor")
	tb.do(chromedp.Navigate(s.url+"/dashboard"), chromedp.WaitVisible(chromedp.CSS("#tile-incident-backlog .dash-chart canvas")))
	if tb.count("#tile-"+first) != 0 {
		t.Errorf("the removed tile %s is still on the dashboard", first)
	}
	if got := tb.text(".tabs [aria-current=page]"); got != "My dashboard" {
		t.Errorf("after arranging, the dashboard shown first is %q", got)
	}

	tb.do(chromedp.Navigate(s.url+"/service-reports"), chromedp.WaitVisible(chromedp.CSS("body")))
	tb.navigates(chromedp.Click(`//a[normalize-space()="Monthly KPI report"]`))
	if got := tb.text("#report-format"); !strings.Contains(got, "PDF") {
		t.Errorf("the scheduled report reads %q", got)
	}
	if n := tb.count(`a[href^="/report-runs/"]`); n != 2 {
		t.Errorf("the scheduled report offers %d produced files, want staff's and the customer's", n)
	}
	dashShot(tb, "service-report")

	tb.logout()
	tb.login("requester@steward.demo")
	tb.do(chromedp.Navigate(s.url+"/dashboard"), chromedp.WaitVisible(chromedp.CSS(".dash-chart canvas")))
	if got := tb.text(".page-head .muted"); !strings.Contains(got, "only") {
		t.Errorf("the requester's dashboard does not say whose figures: %q", got)
	}
	dashShot(tb, "dashboard-customer")
}

func (b *tab) count(sel string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(sel)+`).length`))
	if err != nil {
		b.t.Fatal(err)
	}
	return n
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// dashShot saves the page at 1280 px (whole page) and 390 px (the first
// screen) when screenshots are asked for.
func dashShot(b *tab, name string) {
	b.t.Helper()
	if b.shots == "" {
		return
	}
	for _, size := range []struct {
		label string
		w, h  int64
		scale float64
		full  bool
	}{{"1280", 1280, 900, 1, true}, {"390", 390, 844, 2, false}} {
		png, err := chromedp.Run(b.ctx, func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
			if _, err := chromedp.EmulateViewport(size.w, size.h, chromedp.EmulateScale(size.scale))(ctx, t); err != nil {
				return nil, err
			}
			// The charts follow the width on resize.
			time.Sleep(400 * time.Millisecond)
			if size.full {
				return chromedp.FullScreenshot(100)(ctx, t)
			}
			return chromedp.CaptureScreenshot()(ctx, t)
		})
		if err != nil {
			b.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(b.shots, "dash-"+size.label+"-"+name+".png"), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.do(chromedp.EmulateViewport(1280, 900))
}
