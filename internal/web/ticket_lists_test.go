package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// The incident and request queues read their filters under the names
// their links have always carried, and name the ones they cannot read in
// a banner, in the order of the controls.
func TestQueueFiltersNameWhatTheyCannotRead(t *testing.T) {
	s := newSite(t)
	agent := s.signedIn("agent")
	for _, c := range []struct{ path, banner string }{
		{"/?view=all&state=sleeping&priority=P9&group=x&assignee=nobody&customer=0&service=-1&major=maybe",
			"These filters could not be read: state, priority, group, assignee, customer, service, major."},
		{"/requests?view=all&state=sleeping&priority=P0&group=1&assignee=me&sort=sideways",
			"These filters could not be read: state, priority, sort."},
	} {
		p := agent.get(c.path)
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, c.banner) {
			t.Errorf("%s: %d, banner %q missing", c.path, p.status, c.banner)
		}
	}
	for _, path := range []string{"/?view=all&state=new&priority=P3&assignee=none&sort=priority",
		"/requests?view=all&state=in_fulfilment&priority=P3&assignee=me&sort=updated_at"} {
		if p := agent.get(path); p.status != http.StatusOK || strings.Contains(p.body, "could not be read") {
			t.Errorf("%s: %d", path, p.status)
		}
	}
}
