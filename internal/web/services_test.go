package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// serviceID looks a demo service up by name.
func (s *site) serviceID(t *testing.T, name string) int64 {
	t.Helper()
	var id int64
	if err := s.app.DB.QueryRow(context.Background(), "SELECT id FROM services WHERE name = ?", name).Scan(&id); err != nil {
		t.Fatalf("service %q: %v", name, err)
	}
	return id
}

func sid(id int64) string { return strconv.FormatInt(id, 10) }

func TestPublishedCatalogue(t *testing.T) {
	s := newSite(t)
	req := s.signedIn("requester") // Northwind Traders
	p := req.get("/services")
	if p.status != http.StatusOK {
		t.Fatalf("catalogue: %d", p.status)
	}
	for _, name := range []string{"VPN", "ERP", "Website", "Laptop &amp; desktop support", "E-mail"} {
		if !strings.Contains(p.body, ">"+name+"</a>") {
			t.Errorf("the requester's catalogue lacks %s", name)
		}
	}
	for _, hidden := range []string{"Payroll", "Driver app", "Fax gateway", "7400.00", "<table"} {
		if strings.Contains(p.body, hidden) {
			t.Errorf("the requester's catalogue shows %q", hidden)
		}
	}
	if !strings.Contains(p.body, "Mon-Sat 06:00-22:00") || !strings.Contains(p.body, "/incidents/new?service_id="+sid(s.serviceID(t, "ERP"))) {
		t.Error("cards should show the hours and offer to report a problem")
	}
	if p := req.get("/services/" + sid(s.serviceID(t, "Payroll"))); p.status != http.StatusNotFound {
		t.Errorf("another customer's service: %d, want 404", p.status)
	}
	if p := req.get("/services/" + sid(s.serviceID(t, "Driver app"))); p.status != http.StatusNotFound {
		t.Errorf("a planned service: %d, want 404", p.status)
	}
	erp := req.get("/services/" + sid(s.serviceID(t, "ERP")))
	if erp.status != http.StatusOK || !strings.Contains(erp.body, ">Network</a>") || strings.Contains(erp.body, "Driver app") ||
		strings.Contains(erp.body, "Fabrikam") || strings.Contains(erp.body, "/services/"+sid(s.serviceID(t, "ERP"))+"/edit") {
		t.Errorf("the requester's view of ERP shows too much or too little:\n%s", erp.body)
	}

	form := req.get("/incidents/new?service_id=" + sid(s.serviceID(t, "VPN")))
	if !regexp.MustCompile(`<option value="`+sid(s.serviceID(t, "VPN"))+`" selected>VPN</option>`).MatchString(form.body) || strings.Contains(form.body, ">Payroll<") {
		t.Fatalf("the incident form should offer the requester's services with VPN chosen:\n%s", form.body)
	}
	refused := req.post("/incidents", url.Values{"title": {"Payslip wrong"}, "service_id": {sid(s.serviceID(t, "Payroll"))}})
	if refused.status != http.StatusUnprocessableEntity || !strings.Contains(refused.body, "No such service") {
		t.Fatalf("a requester picking another customer's service: %d\n%s", refused.status, refused.body)
	}
	made := req.post("/incidents", url.Values{"title": {"VPN keeps asking for the code"}, "service_id": {sid(s.serviceID(t, "VPN"))}})
	if made.status != http.StatusSeeOther {
		t.Fatalf("create with a service: %d\n%s", made.status, made.body)
	}
	detail := req.get(made.location)
	if !strings.Contains(detail.body, "<dt>Service</dt><dd>VPN</dd>") {
		t.Errorf("the incident page does not name its service:\n%s", detail.body)
	}
}

func TestStaffCatalogue(t *testing.T) {
	s := newSite(t)
	agent := s.signedIn("agent")
	p := agent.get("/services")
	for _, want := range []string{"Fax gateway", "Driver app", "Payroll", "7400.00", "status-retired", "All customers"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the staff catalogue lacks %q", want)
		}
	}
	if strings.Contains(p.body, `href="/services/new"`) {
		t.Error("agents are offered to create services")
	}
	for _, c := range []struct {
		query string
		want  []string
		not   []string
	}{
		{"status=retired", []string{"Fax gateway"}, []string{">VPN<", ">ERP<"}},
		{"criticality=critical", []string{">ERP<", ">Network<"}, []string{">VPN<"}},
		{"customer=" + sid(s.customerID(t, "Contoso Health")), []string{">Payroll<", ">E-mail<"}, []string{">ERP<", ">Website<"}},
		{"cost_min=2000&cost_max=3000", []string{">E-mail<", ">Website<"}, []string{">ERP<", ">VPN<"}},
		{"q=pay", []string{">Payroll<"}, []string{">ERP<"}},
	} {
		got := agent.get("/services?" + c.query)
		if got.status != http.StatusOK {
			t.Errorf("%s: %d", c.query, got.status)
		}
		for _, w := range c.want {
			if !strings.Contains(got.body, w) {
				t.Errorf("%s: lacks %s", c.query, w)
			}
		}
		for _, n := range c.not {
			if strings.Contains(got.body, n) {
				t.Errorf("%s: shows %s", c.query, n)
			}
		}
	}
	if bad := agent.get("/services?cost_min=lots&status=gone"); bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "status, cost min") {
		t.Errorf("unreadable filters: %d", bad.status)
	}

	network := agent.get("/services/" + sid(s.serviceID(t, "Network")))
	for _, dep := range []string{"VPN", "ERP", "Telephony", "Website"} {
		if !strings.Contains(network.body, ">"+dep+"</a>") {
			t.Errorf("Network's page does not list %s among the services that need it", dep)
		}
	}
	if !strings.Contains(network.body, "/?service="+sid(s.serviceID(t, "Network"))+"&amp;view=open") {
		t.Error("no link to the service's open incidents")
	}
	queue := agent.get("/?view=all&service=" + sid(s.serviceID(t, "VPN")))
	if queue.status != http.StatusOK || !strings.Contains(queue.body, "VPN drops every few minutes") || strings.Contains(queue.body, "ERP invoice run") {
		t.Fatalf("queue filtered by service: %d", queue.status)
	}
	if !regexp.MustCompile(`<option value="` + sid(s.serviceID(t, "VPN")) + `" selected>VPN</option>`).MatchString(queue.body) {
		t.Error("the queue's service filter does not show the service chosen")
	}
}

func (s *site) customerID(t *testing.T, name string) int64 {
	t.Helper()
	var id int64
	if err := s.app.DB.QueryRow(context.Background(), "SELECT id FROM customers WHERE name = ?", name).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestServiceForms(t *testing.T) {
	s := newSite(t)
	admin := s.signedIn("admin")
	if p := admin.get("/services/new"); p.status != http.StatusOK || !strings.Contains(p.body, `name="depends_on"`) {
		t.Fatalf("new service form: %d", p.status)
	}
	bad := admin.post("/services", url.Values{"name": {""}, "status": {"live"}, "criticality": {"high"}, "cost_per_month": {"12.345"}})
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "This field is required.") ||
		!strings.Contains(bad.body, "at most two decimals") || !strings.Contains(bad.body, `value="12.345"`) {
		t.Fatalf("invalid form: %d\n%s", bad.status, bad.body)
	}
	northwind := sid(s.customerID(t, "Northwind Traders"))
	network := sid(s.serviceID(t, "Network"))
	made := admin.post("/services", url.Values{"name": {"Video conferencing"}, "description": {"Meeting rooms and Teams Rooms devices."},
		"status": {"live"}, "criticality": {"medium"}, "cost_per_month": {"640"}, "hours": {"Mon-Fri 08:00-18:00"},
		"customer_ids": {northwind}, "depends_on": {network}, "owner_id": {""}, "support_group_id": {""}})
	if made.status != http.StatusSeeOther || !strings.HasPrefix(made.location, "/services/") {
		t.Fatalf("create: %d %s\n%s", made.status, made.location, made.body)
	}
	id := strings.TrimPrefix(made.location, "/services/")
	page := admin.get("/services/" + id)
	if !strings.Contains(page.body, "640.00") || !strings.Contains(page.body, "Northwind Traders") || !strings.Contains(page.body, ">Network</a>") {
		t.Fatalf("the new service's page:\n%s", page.body)
	}
	if net := admin.get("/services/" + network); !strings.Contains(net.body, ">Video conferencing</a>") {
		t.Error("Network's page does not show the new service that depends on it")
	}

	edit := admin.get("/services/" + id + "/edit")
	version := versionOf(t, edit)
	form := url.Values{"version": {version}, "name": {"Video conferencing"}, "description": {"Meeting rooms and Teams Rooms devices."},
		"status": {"live"}, "criticality": {"high"}, "cost_per_month": {"640.00"}, "hours": {"Mon-Fri 08:00-18:00"},
		"customer_ids": {northwind}, "depends_on": {network}}
	if p := admin.post("/services/"+id, form); p.status != http.StatusSeeOther {
		t.Fatalf("edit: %d\n%s", p.status, p.body)
	}
	if p := admin.post("/services/"+id, form); p.status != http.StatusConflict || !strings.Contains(p.body, "changed by someone else") {
		t.Fatalf("an edit from a stale form: %d", p.status)
	}
	form.Set("version", versionOf(t, admin.get("/services/"+id+"/edit")))
	form.Set("depends_on", id)
	if p := admin.post("/services/"+id, form); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "cannot depend on itself") {
		t.Fatalf("self dependency: %d", p.status)
	}

	vpn := sid(s.serviceID(t, "VPN"))
	refused := admin.post("/services/"+vpn+"/delete", nil)
	if refused.status != http.StatusConflict || !strings.Contains(refused.body, "Retire it instead") {
		t.Fatalf("deleting a service with incidents: %d\n%s", refused.status, refused.body)
	}
	if p := admin.post("/services/"+id+"/delete", nil); p.status != http.StatusSeeOther || p.location != "/services" {
		t.Fatalf("delete: %d %s", p.status, p.location)
	}
	if p := admin.get("/services/" + id); p.status != http.StatusNotFound {
		t.Fatalf("deleted service: %d", p.status)
	}
}

func TestIncidentServiceSelect(t *testing.T) {
	s := newSite(t)
	agent := s.signedIn("agent")
	inc := s.incidents(t, 0, false)
	page := agent.get("/incidents/" + inc.Number)
	if !strings.Contains(page.body, `name="service_id"`) || strings.Contains(page.body, `name="service"`) {
		t.Fatal("the edit form should offer a select of services, not a text field")
	}
	telephony := sid(s.serviceID(t, "Telephony"))
	// The form as the browser sends it: every field, the service changed.
	var title, impact, urgency string
	var requester, customer, group, assignee *int64
	var major bool
	err := s.app.DB.QueryRow(context.Background(), `SELECT title, impact, urgency, requester_id, customer_id, group_id, assignee_id, major
		FROM incidents WHERE id = ?`, inc.ID).Scan(&title, &impact, &urgency, &requester, &customer, &group, &assignee, &major)
	if err != nil {
		t.Fatal(err)
	}
	opt := func(p *int64) string {
		if p == nil {
			return ""
		}
		return sid(*p)
	}
	form := url.Values{"version": {versionOf(t, page)}, "title": {title}, "impact": {impact}, "urgency": {urgency},
		"requester_id": {opt(requester)}, "customer_id": {opt(customer)}, "group_id": {opt(group)}, "assignee_id": {opt(assignee)},
		"service_id": {telephony}}
	if major {
		form.Set("major", "on")
	}
	if p := agent.post("/incidents/"+inc.Number+"/edit", form); p.status != http.StatusSeeOther {
		t.Fatalf("edit the service: %d\n%s", p.status, p.body)
	}
	after := agent.get("/incidents/" + inc.Number)
	if !strings.Contains(after.body, `<a href="/services/`+telephony+`">Telephony</a>`) {
		t.Fatal("the incident page does not link its new service")
	}
	if !regexp.MustCompile(`Service:</span> <span class="chg-old">[^<]*</span> → <span class="chg-new">Telephony</span>`).MatchString(after.body) {
		t.Error("the journal should name the services, not their ids")
	}
}

// TestBrowserServices walks the catalogue in a real browser: an admin adds
// a service through the form, a requester finds it among their cards and
// reports a problem with it.
func TestBrowserServices(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	shots := os.Getenv("STEWARD_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	root, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	alloc, cancelAlloc := chromedp.NewExecAllocator(root,
		chromedp.ExecPath(bin), chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1366, 900))
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(alloc)
	defer cancelTab()
	b := &tab{t: t, ctx: ctx, base: s.url, shots: shots}
	b.do(chromedp.EmulateViewport(1366, 900))

	b.login("admin@steward.demo")
	b.do(chromedp.Navigate(s.url+"/services"), chromedp.WaitVisible(chromedp.CSS("table.services")))
	b.shot("services")
	b.darkShot("services")
	b.do(chromedp.Click(chromedp.CSS(`a[href="/services/new"]`)), chromedp.WaitVisible(chromedp.CSS("#service-name")))
	b.shot("service-form")
	b.do(chromedp.SendKeys(chromedp.CSS("#service-name"), "Video conferencing"),
		chromedp.SendKeys(chromedp.CSS("#service-description"), "Meeting-room cameras and screens."),
		chromedp.SetValue(chromedp.CSS("#service-status"), "live"),
		chromedp.SendKeys(chromedp.CSS("#service-cost_per_month"), "640.5"),
		chromedp.SendKeys(chromedp.CSS("#service-hours"), "Mon-Fri 08:00-18:00"),
		chromedp.Click(chromedp.CSS(`input[name="depends_on"][value="`+sid(s.serviceID(t, "Network"))+`"]`)),
		chromedp.Click(chromedp.CSS(`.form-actions button[type="submit"]`)))
	b.waitFlash("Saved.")
	if props := b.text(".props-list"); !strings.Contains(props, "640.50") || !strings.Contains(props, "All customers") {
		t.Fatalf("the new service's details: %q", props)
	}
	b.shot("service")
	b.logout()

	b.login("requester@steward.demo")
	b.do(chromedp.Navigate(s.url+"/services"), chromedp.WaitVisible(chromedp.CSS(".service-cards")))
	b.shot("catalogue")
	if cards := b.text(".service-cards"); !strings.Contains(cards, "Video conferencing") || strings.Contains(cards, "Payroll") {
		t.Fatalf("the requester's cards: %q", cards)
	}
	id := sid(s.serviceID(t, "Video conferencing"))
	b.do(chromedp.Click(chromedp.CSS(`a[href="/incidents/new?service_id=`+id+`"]`)), chromedp.WaitVisible(chromedp.CSS("#title")),
		chromedp.SendKeys(chromedp.CSS("#title"), "Camera in room B2 shows nothing"),
		chromedp.Click(chromedp.CSS(`.form-actions button[type="submit"]`)))
	b.waitFlash("Incident created.")
	if props := b.text(".props-list"); !strings.Contains(props, "Video conferencing") {
		t.Fatalf("the incident's details: %q", props)
	}
}
