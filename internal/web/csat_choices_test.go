package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// "Only these services" with none ticked is refused and stays chosen, so
// the administrator ticks a service rather than choosing again.
func TestSurveyRulesKeepServiceChoice(t *testing.T) {
	s := newSite(t)
	admin := s.signedIn("admin")
	bad := admin.post("/admin/satisfaction", url.Values{"incidents": {"on"}, "sample_percent": {"100"}, "open_days": {"14"},
		"low_rating": {"2"}, "complaint_target_days": {"14"}, "services": {"listed"}})
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "hoose at least one service") {
		t.Fatalf("no service ticked: %d", bad.status)
	}
	if !strings.Contains(bad.body, `value="listed" checked>`) || strings.Contains(bad.body, `value="all" checked>`) {
		t.Errorf("after the error the form no longer says \"Only these services\"")
	}
}
