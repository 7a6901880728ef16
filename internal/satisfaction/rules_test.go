package satisfaction

import (
	"testing"

	"steward/internal/ticket"
)

// The rules pick tickets by kind, service and sample; the sample takes
// near its percentage of many tickets.
func TestRulesSurveys(t *testing.T) {
	r := DefaultRules()
	inc := &ticket.Snapshot{Kind: ticket.Incident, ID: 7, ServiceID: 3}
	req := &ticket.Snapshot{Kind: ticket.Request, ID: 7, ServiceID: 4}
	if !r.Surveys(inc) || !r.Surveys(req) {
		t.Fatal("the defaults survey every ticket")
	}
	r.Requests = false
	if r.Surveys(req) || !r.Surveys(inc) {
		t.Error("requests switched off")
	}
	r.ServiceIDs = []int64{4}
	if r.Surveys(inc) {
		t.Error("a ticket of another service was surveyed")
	}
	r = DefaultRules()
	r.SamplePercent = 0
	if r.Surveys(inc) {
		t.Error("a sample of 0 % surveyed a ticket")
	}
	r.SamplePercent = 30
	n := 0
	for id := int64(1); id <= 2000; id++ {
		s := &ticket.Snapshot{Kind: ticket.Incident, ID: id}
		if r.Surveys(s) {
			n++
		}
	}
	if n < 480 || n > 720 {
		t.Errorf("a 30 %% sample took %d of 2000", n)
	}
	if got := (Settings{Rules: DefaultRules(), ComplaintTargetDays: 0}).Check(); !got.Has("complaint_target_days") {
		t.Error("a target of 0 days passed")
	}
}
