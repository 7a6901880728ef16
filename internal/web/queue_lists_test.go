package web_test

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"steward/internal/incident"
	"steward/internal/request"
)

var queueRow = regexp.MustCompile(`href="/(?:incidents|requests)/((?:INC|REQ)-\d+)" data-open`)

// The incident and request queues take what the API takes for the state,
// the priority and the group: "open" and several values separated by
// commas. They list the same tickets as a query of the database, with no
// banner, and their selects show the filter, one value or several.
func TestQueuesTakeTheAPIsLists(t *testing.T) {
	s := newSite(t)
	agent := s.signedIn("agent")
	numbers := func(query string, args ...any) []string {
		t.Helper()
		rows, err := s.app.DB.Query(context.Background(), query, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(query, "FROM requests") {
				out = append(out, request.FormatNumber(id))
			} else {
				out = append(out, incident.FormatNumber(id))
			}
		}
		slices.Sort(out)
		return out
	}
	var deskID string
	if err := s.app.DB.QueryRow(context.Background(), "SELECT CAST(MIN(id) AS TEXT) FROM support_groups").Scan(&deskID); err != nil {
		t.Fatal(err)
	}
	// The demo's requests are all P3: give three P1 or P2, one of them
	// closed, and the agent two to work on.
	_, err := s.app.DB.Exec(context.Background(), `UPDATE requests SET priority = CASE state WHEN 'closed' THEN 1 WHEN 'awaiting_approval' THEN 2 ELSE 1 END
		WHERE state IN ('closed', 'awaiting_approval') OR id = (SELECT MIN(id) FROM requests WHERE state = 'in_fulfilment')`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.app.DB.Exec(context.Background(), `UPDATE requests SET assignee_id = (SELECT id FROM users WHERE email = 'agent@steward.demo')
		WHERE state = 'in_fulfilment' AND assignee_id IS NULL`)
	if err != nil {
		t.Fatal(err)
	}
	incidents := `SELECT id FROM incidents WHERE `
	requests := `SELECT id FROM requests WHERE `
	for _, c := range []struct {
		path, query string
		args        []any
		shows       []string // what the selects show as chosen
	}{
		{"/?view=all&state=open&priority=P1,P2",
			incidents + "state IN ('new', 'in_progress', 'on_hold') AND priority IN (1, 2)", nil,
			[]string{`<option value="open" selected>Open states</option>`, `<option value="P1,P2" selected>P1, P2</option>`}},
		{"/?view=all&state=resolved,%20closed&priority=P1",
			incidents + "state IN ('resolved', 'closed') AND priority = 1", nil,
			[]string{`<option value="resolved, closed" selected>Resolved, Closed</option>`, `<option value="P1" selected>P1</option>`}},
		{"/?view=open&priority=P2,P3&group=" + deskID + ",99999",
			incidents + "state IN ('new', 'in_progress', 'on_hold') AND priority IN (2, 3) AND group_id = ?", []any{deskID},
			[]string{`<option value="P2,P3" selected>P2, P3</option>`, `selected>Service Desk, 99999</option>`}},
		{"/requests?view=all&state=open&priority=P1,P2",
			requests + "state IN ('submitted', 'awaiting_approval', 'in_fulfilment') AND priority IN (1, 2)", nil,
			[]string{`<option value="open" selected>Open states</option>`, `<option value="P1,P2" selected>P1, P2</option>`}},
		{"/requests?view=all&state=fulfilled,closed,cancelled",
			requests + "state IN ('fulfilled', 'closed', 'cancelled')", nil,
			[]string{`<option value="fulfilled,closed,cancelled" selected>Fulfilled, Closed, Cancelled</option>`}},
		{"/requests?state=open",
			requests + "state IN ('submitted', 'awaiting_approval', 'in_fulfilment') AND assignee_id = " +
				"(SELECT id FROM users WHERE email = 'agent@steward.demo')", nil, nil},
	} {
		want := numbers(c.query+" ORDER BY id DESC LIMIT 50", c.args...)
		if len(want) == 0 || len(want) == 50 {
			t.Fatalf("%s: %d tickets in the demo, want some and fewer than a page", c.path, len(want))
		}
		p := agent.get(c.path)
		if p.status != http.StatusOK || strings.Contains(p.body, "could not be read") {
			t.Errorf("%s: %d, or a banner", c.path, p.status)
			continue
		}
		var got []string
		for _, m := range queueRow.FindAllStringSubmatch(p.body, -1) {
			got = append(got, m[1])
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: rows %v, want %v", c.path, got, want)
		}
		for _, s := range c.shows {
			if !strings.Contains(p.body, s) {
				t.Errorf("%s: the filters do not show %s", c.path, s)
			}
		}
	}

	// A list with a value that cannot be read is named in the banner as a
	// single value is.
	for _, path := range []string{"/?view=all&priority=P1,P9", "/requests?view=all&state=open,sleeping"} {
		if p := agent.get(path); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "could not be read") {
			t.Errorf("%s: %d, no banner", path, p.status)
		}
	}
}
