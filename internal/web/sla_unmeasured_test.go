package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"steward/internal/sla"
)

func TestDefaultAgreementAndTicketsWithoutClock(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	ad := s.signedIn("admin")
	p := ad.get("/agreements")
	if p.status != http.StatusOK || !strings.Contains(p.body, "Tickets raised without a customer are measured by") {
		t.Fatalf("agreements page: %d", p.status)
	}
	var agr int64
	if err := s.app.DB.QueryRow(ctx, "SELECT id FROM agreements WHERE kind = 'sla' AND active ORDER BY id LIMIT 1").Scan(&agr); err != nil {
		t.Fatal(err)
	}
	if p := ad.post("/agreements/default", url.Values{"agreement_id": {strconv.FormatInt(agr, 10)}}); p.status != http.StatusSeeOther {
		t.Fatalf("choosing the default: %d %s", p.status, p.body)
	}
	if got, _ := sla.DefaultAgreement(ctx, s.app.DB); got != agr {
		t.Fatalf("default is %d, want %d", got, agr)
	}
	if p := ad.get("/agreements"); !strings.Contains(p.body, ">Default</span>") {
		t.Error("the agreements list does not mark the default")
	}
	var ola int64
	if err := s.app.DB.QueryRow(ctx, "SELECT id FROM agreements WHERE kind <> 'sla' ORDER BY id LIMIT 1").Scan(&ola); err == nil {
		if p := ad.post("/agreements/default", url.Values{"agreement_id": {strconv.FormatInt(ola, 10)}}); p.status != http.StatusUnprocessableEntity ||
			!strings.Contains(p.body, "only a service level agreement") {
			t.Errorf("an OLA as the default: %d", p.status)
		}
	}
	if p := s.signedIn("agent").post("/agreements/default", url.Values{"agreement_id": {""}}); p.status != http.StatusForbidden {
		t.Errorf("an agent changed the default: %d", p.status)
	}

	// The list of open tickets without a clock, for those who read SLAs.
	p = s.signedIn("agent").get("/sla/unmeasured")
	if p.status != http.StatusOK || !strings.Contains(p.body, "Without a clock") {
		t.Fatalf("unmeasured page: %d", p.status)
	}
	items, err := s.app.SLA.Unmeasured(ctx, "incident", 200)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if !strings.Contains(p.body, it.Number) {
			t.Errorf("%s is not listed", it.Number)
		}
	}
	if len(items) == 0 && !strings.Contains(p.body, "Every open incident runs against a clock.") {
		t.Error("an empty list does not say so")
	}
	if p := s.signedIn("requester").get("/sla/unmeasured"); p.status != http.StatusForbidden {
		t.Errorf("a requester opened the list: %d", p.status)
	}
}
