package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// phoneAuditJS measures a page at phone width: how far it overflows the
// viewport sideways (scrolling containers such as wide tables are fine,
// the page itself is not), and any internal code a person would read
// (snake_case words in visible text, outside fields and code samples).
const phoneAuditJS = `(() => {
  const doc = document.documentElement;
  const overflow = doc.scrollWidth - doc.clientWidth;
  const wide = [];
  if (overflow > 0) {
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.right > doc.clientWidth + 1 && r.width > 0) {
        let scrolled = false;
        for (let p = el.parentElement; p; p = p.parentElement) {
          const ox = getComputedStyle(p).overflowX;
          if (ox === 'auto' || ox === 'scroll' || ox === 'hidden') { scrolled = true; break; }
        }
        if (!scrolled) wide.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : '') + ' ' + Math.round(r.right));
      }
      if (wide.length >= 5) break;
    }
  }
  const codes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest('script,style,code,pre,.mono,textarea,select,option,[hidden],template')) continue;
    if (!el.getClientRects().length) continue;
    const m = n.textContent.match(/\b[a-z]+_[a-z_]+\b/g);
    if (m) codes.push(...m.map(c => c + ' in ' + el.tagName.toLowerCase()));
    if (codes.length >= 5) break;
  }
  return JSON.stringify({overflow: overflow, wide: wide, codes: codes});
})()`

// auditShots are the pages of the audit saved when screenshots are asked for.
var auditShots = map[string]string{"admin /audit": "audit", "agent /sla/unmeasured": "unmeasured", "agent /profile": "profile",
	"agent /agreements": "agreements", "agent /sla/breaching?within=72h": "breaching-cards",
	"requester:de /catalog": "catalog-de", "requester:de /profile": "profile-de",
	"admin /context": "sms-context", "admin /scope": "sms-scope", "admin /processes": "sms-processes", "admin /processes/incident": "sms-process",
	"admin /competence": "sms-competence", "admin /competence/setup": "sms-competence-setup", "admin /trainings": "sms-trainings", "agent /parties": "sms-parties", "admin /parties/1": "sms-party", "admin /trainings/1": "sms-training", "admin /context/1": "sms-issue"}

type phoneAudit struct {
	Overflow int      `json:"overflow"`
	Wide     []string `json:"wide"`
	Codes    []string `json:"codes"`
}

// Every main page, as the people who use it, at 390 px: nothing overflows
// the screen sideways and nobody reads an internal code.
func TestBrowserPhoneAudit(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	shots := os.Getenv("STEWARD_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	inc := s.incidents(t, 0, false)
	alerts := seedConsole(t, s)
	var req, ci, svc, def, item, party, sam, pol, res, com int64
	ctx := context.Background()
	for q, dst := range map[string]*int64{
		"SELECT id FROM requests ORDER BY id LIMIT 1":                            &req,
		"SELECT id FROM catalog_items WHERE name = 'New laptop'":                 &item,
		"SELECT id FROM cis ORDER BY id LIMIT 1":                                 &ci,
		"SELECT id FROM services ORDER BY id LIMIT 1":                            &svc,
		"SELECT id FROM sla_definitions ORDER BY id LIMIT 1":                     &def,
		"SELECT id FROM interested_parties ORDER BY id LIMIT 1":                  &party,
		"SELECT id FROM users WHERE email = 'sam.patel@steward.demo'":            &sam,
		"SELECT id FROM documents WHERE title = 'Service management policy'":     &pol,
		"SELECT id FROM documents WHERE doc_type = 'resource_plan' LIMIT 1":      &res,
		"SELECT id FROM documents WHERE doc_type = 'communication_plan' LIMIT 1": &com,
	} {
		if err := s.app.DB.QueryRow(ctx, q).Scan(dst); err != nil {
			t.Fatal(err)
		}
	}
	pages := map[string][]string{
		"agent": {"/", "/?view=all", "/incidents/new", "/incidents/" + inc.Number, "/requests", fmt.Sprintf("/requests/REQ-%06d", req),
			"/catalog", "/approvals", "/services", fmt.Sprintf("/services/%d", svc), "/cis", fmt.Sprintf("/cis/%d", ci), "/ci-types",
			"/baselines", "/assets/expiring", "/sla/breaching?within=72h", "/reports/sla", "/agreements", "/calendars", "/sla/unmeasured",
			"/customers", "/groups", "/users", "/notifications", "/profile", "/tokens", "/search?q=printer",
			fmt.Sprintf("/sla-definitions/%d", def), "/settings/priority-matrix", "/releases", "/releases/REL-000001",
			"/changes", "/changes/new", "/changes/CHG-000002", "/changes/CHG-000004", "/changes/CHG-000005", "/changes/overview",
			"/change-templates", "/change-policies",
			"/problems", "/problems/new", "/problems/PRB-000001", "/problems/PRB-000003", "/known-errors", "/problems/trends", "/problems/overview",
			"/context", fmt.Sprintf("/parties/%d", party), "/parties", "/scope", "/processes", "/processes/incident", "/competence", "/trainings",
			"/documents", "/documents/acknowledge", fmt.Sprintf("/documents/%d", pol), fmt.Sprintf("/documents/%d", res),
			fmt.Sprintf("/documents/%d", com), fmt.Sprintf("/documents/%d/compare", pol),
			"/kpis", "/risks", "/risks/1", "/objectives", "/objectives/1", "/improvements", "/improvements/1", "/service-reports", "/service-reports/1",
			"/internal-audits", "/internal-audits/1", "/internal-audits/1/report", "/nonconformities", "/nonconformities/NC-000001", "/actions",
			"/management-reviews", "/management-reviews/1",
			"/alerts", "/alerts?group=site", "/alerts?group=service", fmt.Sprintf("/alerts/%d", alerts.critical), "/alerts/unmapped"},
		"admin": {"/admin/jobs", "/audit", "/managers", "/cmdb/imports", "/users/1", fmt.Sprintf("/sla-definitions/%d", def),
			"/settings/priority-matrix", "/agreements/new", "/calendars/new", "/catalog/items/new", fmt.Sprintf("/catalog/items/%d/edit", item),
			"/releases/new", "/releases/REL-000001", "/change-templates/1", "/change-templates/new", "/change-policies",
			"/context", "/context/new", "/context/1", fmt.Sprintf("/parties/%d", party), "/scope", "/processes", "/processes/incident", "/competence",
			"/competence/setup", fmt.Sprintf("/competence/people/%d", sam), "/trainings", "/trainings/1",
			"/documents", "/documents/new", fmt.Sprintf("/documents/%d/edit", com), fmt.Sprintf("/documents/%d", res),
			"/risks", "/risks/new", "/risks/1", "/risk-criteria", "/objectives/new", "/objectives/2", "/improvements/new", "/improvements/2", "/service-reports/new", "/service-reports/2",
			"/internal-audits/new", "/internal-audits/2", "/nonconformities/new", "/nonconformities/NC-000002", "/management-reviews/new", "/management-reviews/2",
			"/compliance", "/compliance/clauses/8.6.1", "/compliance/roadmap", "/compliance/snapshots"},
		"requester": {"/", "/requests", "/catalog", "/approvals", "/services", "/profile"},
		"auditor":   {"/", "/audit", "/reports/sla", "/problems/PRB-000001", "/known-errors", "/scope", "/processes/change", "/competence", "/documents", fmt.Sprintf("/documents/%d", pol), "/internal-audits/1", "/nonconformities?state=all", "/compliance"},
		// The requester again, reading German: longer words must fit too.
		"requester:de": {"/", "/incidents/new", "/incidents/" + inc.Number, "/requests", fmt.Sprintf("/requests/REQ-%06d", req), "/catalog", fmt.Sprintf("/catalog/items/%d", item),
			"/notifications", "/profile"},
	}
	for _, who := range []string{"agent", "admin", "requester", "auditor", "requester:de"} {
		role, lang, _ := strings.Cut(who, ":")
		if lang != "" {
			if _, err := s.app.DB.Exec(ctx, `INSERT INTO user_preferences (user_id, time_zone, locale, language, updated_at)
				SELECT id, 'Europe/Berlin', 'en-GB', ?, '2026-01-01T00:00:00Z' FROM users WHERE email = ?
				ON CONFLICT (user_id) DO UPDATE SET language = excluded.language`, lang, role+"@steward.demo"); err != nil {
				t.Fatal(err)
			}
		}
		b := openTab(t, bin, s.url, shots)
		b.login(role + "@steward.demo")
		b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
		for _, path := range pages[who] {
			b.do(chromedp.Navigate(s.url+path), chromedp.WaitReady(chromedp.CSS("body")))
			raw, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](phoneAuditJS))
			if err != nil {
				t.Fatalf("%s %s: %v", who, path, err)
			}
			var a phoneAudit
			if err := json.Unmarshal([]byte(raw), &a); err != nil {
				t.Fatal(err)
			}
			if a.Overflow > 0 {
				t.Errorf("%s %s: the page is %d px wider than a phone: %v", who, path, a.Overflow, a.Wide)
			}
			if len(a.Codes) > 0 {
				t.Errorf("%s %s: internal codes on the page: %v", who, path, a.Codes)
			}
			if name, ok := auditShots[who+" "+path]; ok {
				b.shot(name)
				b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
			}
		}
	}
}
