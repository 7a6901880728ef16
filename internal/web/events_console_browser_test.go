package web_test

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The alert console in a browser: counts, grouping by site, a filter,
// an alert's page, and mapping an unknown device to a CI through the CI
// picker, at desktop and phone widths.
func TestBrowserAlertConsole(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	c := seedConsole(t, s)
	b := openTab(t, bin, s.url, os.Getenv("STEWARD_SCREENSHOTS"))
	b.login("agent@steward.demo")

	b.navigates(chromedp.Navigate(s.url + "/alerts"))
	if got := b.text(".al-counts"); !strings.Contains(got, "Critical") || !strings.Contains(got, "Unmapped devices") {
		t.Fatalf("counts strip: %q", got)
	}
	if got := b.text("table.alerts"); !strings.Contains(got, "Held: flapping") || !strings.Contains(got, "Temperature 86") {
		t.Fatalf("alert list: %q", got)
	}
	b.shot("alerts")

	b.navigates(chromedp.Click(`//nav[contains(@class,"al-grouping")]//a[.="Site"]`))
	if got := b.text("table.al-groups"); !strings.Contains(got, c.siteA) || !strings.Contains(got, c.siteB) {
		t.Fatalf("groups by site: %q", got)
	}
	b.shot("alerts-by-site")
	// A site's row narrows the list to that site's alerts.
	b.navigates(chromedp.Click(`//table[contains(@class,"al-groups")]//a[.="` + c.siteA + `"]`))
	if got := b.text("table.alerts"); !strings.Contains(got, "Temperature 86") || strings.Contains(got, "Uplink changed") {
		t.Fatalf("one site's alerts: %q", got)
	}

	b.navigates(chromedp.Navigate(s.url + "/alerts"))
	b.do(chromedp.SetValue(chromedp.CSS("#f-sev"), "major"))
	b.navigates(chromedp.Click(chromedp.CSS(`form.filters button[type="submit"]`)))
	if got := b.text("table.alerts"); strings.Contains(got, "Temperature 86") || !strings.Contains(got, "Uplink changed") {
		t.Fatalf("major alerts: %q", got)
	}

	b.navigates(chromedp.Navigate(s.url + "/alerts/" + strconv.FormatInt(c.critical, 10)))
	if got := b.text(".al-timeline"); !strings.Contains(got, "Incident opened") {
		t.Fatalf("timeline: %q", got)
	}
	b.shot("alert")

	b.navigates(chromedp.Navigate(s.url + "/alerts/unmapped"))
	b.shot("alerts-unmapped")
	var name string
	if err := s.app.DB.QueryRow(t.Context(), `SELECT name FROM cis WHERE id = ?`, c.sensorA).Scan(&name); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.SendKeys(chromedp.CSS("#map-0"), name))
	b.navigates(chromedp.Submit(chromedp.CSS("#map-0")))
	b.waitFlash("Device mapped")
	if got := b.text("main"); strings.Contains(got, "SN-9900017") {
		t.Fatalf("the mapped device is still listed: %q", got)
	}
}
