package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"steward/internal/audit"
	"steward/internal/cmdb"
	"steward/internal/patch"
)

// seedShop records a small web shop: servers in a pool behind a switch, a
// database, two applications and the business services on top.
func (s *site) seedShop(t *testing.T) map[string]int64 {
	t.Helper()
	ids := map[string]int64{}
	add := func(typ, name string, attrs map[string]any, red *cmdb.Redundancy) {
		c, err := s.app.CMDB.CreateCI(context.Background(), audit.System, cmdb.NewCI{Type: cmdb.TypeRef(typ), Name: name,
			Attributes: attrs, Redundancy: red, Location: "Frankfurt DC1"}, nil)
		if err != nil {
			t.Fatalf("CI %q: %v", name, err)
		}
		ids[name] = c.ID
	}
	add("Site", "Frankfurt DC1", map[string]any{"code": "FRA1", "country": "DE"}, nil)
	add("Network device", "core-sw-1", map[string]any{"role": "switch", "ip_address": "10.0.0.1"}, nil)
	for _, n := range []string{"web-01", "web-02", "web-03", "db-01"} {
		add("Server", n, map[string]any{"hostname": n + ".fra1", "cpu_cores": 8}, nil)
	}
	add("Cluster", "web-pool", nil, &cmdb.Redundancy{FailedWhenDown: 2})
	add("Database", "orders-db", map[string]any{"engine": "postgresql", "version": "17"}, nil)
	add("Application", "Shop frontend", map[string]any{"version": "4.2"}, nil)
	add("Application", "Orders API", map[string]any{"version": "2.9"}, nil)
	add("Business service", "Web shop", nil, nil)
	website := s.serviceID(t, "Website")
	if _, err := s.app.CMDB.UpdateCI(context.Background(), audit.System, ids["Web shop"], cmdb.CIPatch{ServiceID: patch.Of(website)}, 0); err != nil {
		t.Fatal(err)
	}
	add("Business service", "Order tracking", nil, nil)
	for _, r := range []struct {
		source string
		typ    cmdb.RelType
		target string
	}{
		{"core-sw-1", cmdb.ConnectedTo, "Frankfurt DC1"},
		{"web-01", cmdb.DependsOn, "core-sw-1"}, {"web-02", cmdb.DependsOn, "core-sw-1"},
		{"web-03", cmdb.DependsOn, "core-sw-1"}, {"db-01", cmdb.DependsOn, "core-sw-1"},
		{"web-01", cmdb.MemberOf, "web-pool"}, {"web-02", cmdb.MemberOf, "web-pool"}, {"web-03", cmdb.MemberOf, "web-pool"},
		{"orders-db", cmdb.RunsOn, "db-01"},
		{"Shop frontend", cmdb.RunsOn, "web-pool"}, {"Shop frontend", cmdb.DependsOn, "Orders API"},
		{"Orders API", cmdb.DependsOn, "orders-db"},
		{"Web shop", cmdb.DependsOn, "Shop frontend"}, {"Order tracking", cmdb.DependsOn, "Orders API"},
	} {
		s.relate(t, ids[r.source], r.typ, ids[r.target])
	}
	add("Software", "Monitoring agent", map[string]any{"vendor": "Acme", "version": "7"}, nil)
	s.relate(t, ids["Monitoring agent"], cmdb.RunsOn, ids["web-01"])
	s.relate(t, ids["Monitoring agent"], cmdb.RunsOn, ids["web-02"])
	soon, later := time.Now().AddDate(0, 0, 20).Format(time.DateOnly), time.Now().AddDate(0, 2, 0).Format(time.DateOnly)
	seats := int64(1)
	for _, a := range []struct {
		ci int64
		in cmdb.AssetInput
	}{
		{ids["db-01"], cmdb.AssetInput{AssetTag: "FRA-0042", Supplier: "Dell", Contract: "ProSupport 3y", WarrantyEnd: &soon, Cost: "8400.00"}},
		{ids["Monitoring agent"], cmdb.AssetInput{Supplier: "Acme", SeatsOwned: &seats, LicenceEnd: &later}},
	} {
		if _, _, err := s.app.CMDB.PutAsset(context.Background(), audit.System, a.ci, a.in, 0); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// An agent records two CIs and a dependency in the browser, then sees
// what a failure touches as a list and as a graph.
func TestBrowserCMDB(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	ids := s.seedShop(t)
	shots := os.Getenv("STEWARD_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	root, cancel := context.WithTimeout(context.Background(), 90*time.Second)
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

	b.do(chromedp.Navigate(s.url+"/cis"), chromedp.WaitVisible(chromedp.CSS("table.cis")))
	b.shot("cis")

	// A server, through the type picker; a missing hostname first.
	b.do(chromedp.Navigate(s.url+"/cis/new"), chromedp.WaitVisible(chromedp.CSS(".ci-type-picker")))
	b.shot("ci-type-picker")
	b.do(chromedp.Click(`//a[contains(@class,"ci-type-choice")][.//span[text()="Server"]]`),
		chromedp.WaitVisible(chromedp.CSS("#attr-hostname")),
		chromedp.SendKeys(chromedp.CSS("#ci-name"), "pay-01"),
		chromedp.SendKeys(chromedp.CSS("#attr-ip_address"), "10.0.9.300"),
		chromedp.Click(chromedp.CSS(`.form-actions button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".field-error")))
	if errs := b.text(".ci-attrs"); !strings.Contains(errs, "is required") || !strings.Contains(errs, "not an IPv4 or IPv6 address") {
		t.Fatalf("the failed form: %q", errs)
	}
	b.shot("ci-form-errors")
	b.do(chromedp.Clear(chromedp.CSS("#attr-ip_address")),
		chromedp.SendKeys(chromedp.CSS("#attr-ip_address"), "10.0.9.30"),
		chromedp.SendKeys(chromedp.CSS("#attr-hostname"), "pay-01.fra1"),
		chromedp.Click(chromedp.CSS(`.form-actions button[type="submit"]`)))
	b.waitFlash("Saved.")
	if h := b.text(".page-head h1"); h != "pay-01" {
		t.Fatalf("after creating: heading %q", h)
	}

	// An application that depends on it, needed by the web shop.
	b.do(chromedp.Navigate(s.url+"/cis/new?type="+sid(s.ciTypeID(t, "Application"))), chromedp.WaitVisible(chromedp.CSS("#ci-name")),
		chromedp.SendKeys(chromedp.CSS("#ci-name"), "Payments gateway"),
		chromedp.SendKeys(chromedp.CSS("#attr-vendor"), "Adyen"),
		chromedp.Click(chromedp.CSS(`.form-actions button[type="submit"]`)))
	b.waitFlash("Saved.")
	b.do(chromedp.SetValue(chromedp.CSS("#rel-type"), "depends_on"),
		chromedp.SendKeys(chromedp.CSS("#rel-other"), "pay-01"),
		chromedp.Click(chromedp.CSS(`.ci-relate button[type="submit"]`)))
	b.waitFlash("Relationship added.")
	b.do(chromedp.SetValue(chromedp.CSS("#rel-type"), "~depends_on"),
		chromedp.SendKeys(chromedp.CSS("#rel-other"), "Web shop"),
		chromedp.Click(chromedp.CSS(`.ci-relate button[type="submit"]`)),
		chromedp.WaitVisible(`//section[@id="relationships"]//a[text()="Web shop"]`))
	if rels := b.text("#relationships"); !strings.Contains(rels, "pay-01") || !strings.Contains(rels, "Web shop") {
		t.Fatalf("relationships: %q", rels)
	}
	b.shot("ci")
	b.darkShot("ci")

	// What breaks if pay-01 fails: the gateway and the web shop.
	b.do(chromedp.Click(`//section[@id="relationships"]//a[text()="pay-01"]`),
		chromedp.WaitVisible(`//h1[text()="pay-01"]`),
		chromedp.Click(`//div[contains(@class,"service-actions")]/a[text()="Impact"]`),
		chromedp.WaitVisible(chromedp.CSS("table.impact-items")))
	items := b.text("table.impact-items")
	if !strings.Contains(items, "Payments gateway") || !strings.Contains(items, "Failed") || !strings.Contains(items, "Web shop") {
		t.Fatalf("impact of pay-01: %q", items)
	}
	if svc := b.text(".impact-services"); !strings.Contains(svc, "Web shop") {
		t.Fatalf("affected services: %q", svc)
	}
	b.shot("ci-impact")

	// A pool member alone only degrades the pool and what runs on it.
	b.do(chromedp.Navigate(s.url+"/cis/"+sid(ids["web-01"])+"/impact"), chromedp.WaitVisible(chromedp.CSS("table.impact-items")))
	for _, name := range []string{"web-pool", "Shop frontend", "Web shop"} {
		st, err := chromedp.Run(ctx, chromedp.Text(`//table[contains(@class,"impact-items")]//tr[.//a[text()="`+name+`"]]//span[contains(@class,"pill")]`))
		if err != nil {
			t.Fatal(err)
		}
		if st != "Degraded" {
			t.Errorf("with one pool member down, %s is %q, want Degraded", name, st)
		}
	}
	b.shot("ci-impact-degraded")

	// The graph draws the neighbourhood with the impacted path, without a
	// script error or a refusal of the content security policy.
	var (
		mu       sync.Mutex
		problems []string
	)
	listen, stopListening := context.WithCancel(ctx)
	messages := chromedp.Console(listen)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() || strings.Contains(m.Text, "Content Security Policy") {
				mu.Lock()
				problems = append(problems, m.String())
				mu.Unlock()
			}
		}
	}()
	b.do(chromedp.Navigate(s.url+"/cis/"+sid(ids["core-sw-1"])+"/graph?depth=4"),
		chromedp.WaitVisible(chromedp.CSS("#ci-graph[data-nodes]")),
		chromedp.Click(chromedp.CSS("[data-graph-layout]")),
		chromedp.Click(chromedp.CSS("[data-graph-toggle]")),
		chromedp.Click(chromedp.CSS("[data-graph-toggle]")))
	stopListening()
	mu.Lock()
	if len(problems) > 0 {
		t.Errorf("the graph page logged problems: %q", problems)
	}
	mu.Unlock()
	attrs, err := chromedp.Run(ctx, chromedp.Attributes(chromedp.CSS("#ci-graph")))
	if err != nil {
		t.Fatal(err)
	}
	if attrs["data-nodes"] != "13" || attrs["data-impact-edges"] == "0" {
		t.Fatalf("graph of core-sw-1: %v (status %q)", attrs, b.text("[data-graph-status]"))
	}
	drawn, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelectorAll("#ci-graph canvas").length > 0`))
	if err != nil || !drawn {
		t.Fatalf("no canvas in the graph: %v", err)
	}
	if st := b.text("[data-graph-status]"); !strings.Contains(st, "13 CIs") || !strings.Contains(st, "affected") {
		t.Fatalf("graph status: %q", st)
	}
	b.shot("ci-graph")
	b.darkShot("ci-graph")
	if shots != "" {
		// A phone loads the page at its own size; the drawing fits it then.
		b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)),
			chromedp.Navigate(s.url+"/cis/"+sid(ids["core-sw-1"])+"/graph?depth=4"),
			chromedp.WaitVisible(chromedp.CSS("#ci-graph[data-nodes]")),
			chromedp.ScrollIntoView(chromedp.CSS("#ci-graph")))
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(shots, "phone-ci-graph-loaded.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
		b.do(chromedp.EmulateViewport(1366, 900))
	}

	b.do(chromedp.Navigate(s.url+"/cis/"+sid(ids["web-pool"])), chromedp.WaitVisible(chromedp.CSS("h1")))
	b.shot("ci-pool")

	// An incident on web-01: linking it names the catalogue service behind.
	var incID int64
	if err := s.app.DB.QueryRow(context.Background(), "SELECT id FROM incidents WHERE state = 'new' ORDER BY id LIMIT 1").Scan(&incID); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.Navigate(s.url+"/incidents/"+ref(incID)), chromedp.WaitVisible(chromedp.CSS("#link-ci")),
		chromedp.SendKeys(chromedp.CSS("#link-ci"), "web-01"),
		chromedp.Click(chromedp.CSS(`form.link-ci button[type="submit"]`)))
	b.waitFlash("CI linked.")
	if card := b.text("#affected-cis"); !strings.Contains(card, "web-01") || !strings.Contains(card, "Website") || !strings.Contains(card, "Degraded") {
		t.Fatalf("affected CIs card: %q", card)
	}
	b.shot("incident-cis")
	b.logout()

	b.login("admin@steward.demo")
	b.do(chromedp.Navigate(s.url+"/ci-types"), chromedp.WaitVisible(chromedp.CSS("table.ci-types")))
	b.shot("ci-types")
	b.do(chromedp.Navigate(s.url+"/ci-types/"+sid(s.ciTypeID(t, "Server"))), chromedp.WaitVisible(chromedp.CSS("table.attr-rows")))
	b.shot("ci-type")
	b.do(chromedp.Navigate(s.url+"/baselines"), chromedp.WaitVisible(chromedp.CSS(".baseline-new summary")),
		chromedp.Click(chromedp.CSS(".baseline-new summary")),
		chromedp.SendKeys(chromedp.CSS("#bl-name"), "Frankfurt before CHG-000412"),
		chromedp.Click(chromedp.CSS(`.baseline-new button[type="submit"]`)))
	b.waitFlash("Saved.")
	st := cmdb.Maintenance
	if _, err := s.app.CMDB.UpdateCI(context.Background(), audit.System, ids["web-02"], cmdb.CIPatch{Status: &st, ChangeRef: "CHG-000412"}, 0); err != nil {
		t.Fatal(err)
	}
	var gateway int64
	if err := s.app.DB.QueryRow(context.Background(), "SELECT id FROM cis WHERE name = 'Payments gateway'").Scan(&gateway); err != nil {
		t.Fatal(err)
	}
	s.relate(t, ids["Orders API"], cmdb.DependsOn, gateway)
	b.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(".compare-list")))
	if diff := b.text(".compare-list"); !strings.Contains(diff, "web-02") || !strings.Contains(diff, "Maintenance") || !strings.Contains(diff, "Payments gateway") {
		t.Fatalf("baseline comparison: %q", diff)
	}
	b.shot("baseline")
	b.do(chromedp.Navigate(s.url+"/assets/expiring"), chromedp.WaitVisible(chromedp.CSS("h1")))
	if items := b.text("table.expiring"); !strings.Contains(items, "db-01") || !strings.Contains(items, "Monitoring agent") {
		t.Fatalf("expiring: %q", items)
	}
	b.shot("assets-expiring")
	b.do(chromedp.Navigate(s.url+"/licences"), chromedp.WaitVisible(chromedp.CSS("table.licences")))
	if l := b.text("table.licences"); !strings.Contains(l, "1 seat short") {
		t.Fatalf("licences: %q", l)
	}
	b.shot("licences")
}
