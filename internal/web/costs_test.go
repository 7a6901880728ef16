package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// The cost pages show the demo's services against budget with their
// charts; the service owner (the demo agent owns Laptop & desktop support)
// enters a budget on their own service and not on another's; auditors
// read without forms; requesters are refused.
func TestCostPages(t *testing.T) {
	s := newSite(t)
	admin := s.signedIn("admin")
	p := admin.get("/costs")
	if p.status != http.StatusOK || !strings.Contains(p.body, `id="costs-chart"`) || !strings.Contains(p.body, "ERP") ||
		!strings.Contains(p.body, "EUR") || !strings.Contains(p.body, "none measured") {
		t.Fatalf("/costs: %d %.300s", p.status, p.body)
	}
	if p := admin.get("/costs/benefit"); p.status != http.StatusOK || !strings.Contains(p.body, "not recorded") {
		t.Errorf("/costs/benefit: %d", p.status)
	}
	// Quarters without a measured outage say the downtime is unknown, not nothing.
	if p := admin.get("/costs/benefit?from=2031-Q1&to=2031-Q2"); p.status != http.StatusOK || !strings.Contains(p.body, `id="no-outages"`) {
		t.Errorf("/costs/benefit of quarters without outages: %d", p.status)
	}
	if p := admin.get("/costs/rates"); p.status != http.StatusOK || !strings.Contains(p.body, "USD") {
		t.Errorf("/costs/rates: %d", p.status)
	}
	if p := admin.get("/costs/report.csv"); p.status != http.StatusOK || !strings.HasPrefix(p.body, "service_id,service,period,currency") {
		t.Errorf("CSV: %d %.200s", p.status, p.body)
	}

	laptops, erp := strconv.FormatInt(s.serviceID(t, "Laptop & desktop support"), 10), strconv.FormatInt(s.serviceID(t, "ERP"), 10)
	agent := s.signedIn("agent")
	if p := agent.get("/costs/services/" + laptops); p.status != http.StatusOK || !strings.Contains(p.body, "Add budget") {
		t.Fatalf("owner's page: %d", p.status)
	}
	p = agent.post("/costs/services/"+laptops+"/budgets", url.Values{"period": {"2031-Q1"}, "amount": {"12500.50"}, "currency": {"EUR"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("owner adds a budget: %d %.300s", p.status, p.body)
	}
	if p := agent.get("/costs/services/" + laptops); !strings.Contains(p.body, "12,500.50 EUR") {
		t.Error("the new budget is not listed")
	}
	p = agent.post("/costs/services/"+laptops+"/budgets", url.Values{"period": {"2031-Q5"}, "amount": {"12.345"}, "currency": {"EUR"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "more decimals than EUR") {
		t.Errorf("bad budget: %d", p.status)
	}
	if p := agent.get("/costs/services/" + erp); strings.Contains(p.body, "Add budget") {
		t.Error("an agent who does not own ERP is offered its budget form")
	}
	if p := agent.post("/costs/services/"+erp+"/budgets", url.Values{"period": {"2031-Q1"}, "amount": {"1"}, "currency": {"EUR"}}); p.status != http.StatusForbidden {
		t.Errorf("agent adds a budget to ERP: %d", p.status)
	}
	if p := agent.post("/costs/sms-budgets", url.Values{"period": {"2031"}, "amount": {"1"}, "currency": {"EUR"}}); p.status != http.StatusForbidden {
		t.Errorf("agent sets the SMS budget: %d", p.status)
	}

	auditor := s.signedIn("auditor")
	if p := auditor.get("/costs/services/" + erp); p.status != http.StatusOK || strings.Contains(p.body, "Add budget") || !strings.Contains(p.body, "SAP S/4HANA") {
		t.Errorf("auditor's view of ERP: %d", p.status)
	}
	if p := s.signedIn("requester").get("/costs"); p.status != http.StatusForbidden {
		t.Errorf("requester sees costs: %d", p.status)
	}
}
