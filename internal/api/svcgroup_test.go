package api_test

import (
	"context"
	"strings"
	"testing"

	"steward/internal/store/storetest"
)

func TestEventSettingsGroupByServiceRoundTrips(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newServer(t, e)
		first := s.do("admin", "GET", eventSettingsPath, nil)
		if first.status != 200 || !strings.Contains(string(first.body), `"group_by_service":false`) {
			t.Fatalf("defaults: %d %s", first.status, first.body)
		}
		s.run(t, []apiCase{
			{"agent may not turn it on", "agent", "PUT", eventSettingsPath, map[string]any{"group_by_service": true}, nil, 403, nil},
			{"not a boolean", "admin", "PUT", eventSettingsPath, `{"group_by_service":"yes"}`, nil, 400, nil},
		})
		put := s.do("admin", "PUT", eventSettingsPath, map[string]any{"group_by_service": true, "hold_down": "2m"})
		if put.status != 200 || !strings.Contains(string(put.body), `"group_by_service":true`) {
			t.Fatalf("turn on: %d %s", put.status, put.body)
		}
		read := s.do("auditor", "GET", eventSettingsPath, nil)
		if got := read.json(t); got["group_by_service"] != true {
			t.Fatalf("read back %s", read.body)
		}
		if st, err := s.app.Events.Settings(context.Background()); err != nil || !st.GroupByService {
			t.Fatalf("the processor sees group_by_service %v (%v)", st.GroupByService, err)
		}
		// Left out, it takes its default again.
		if res := s.do("admin", "PUT", eventSettingsPath, map[string]any{"hold_down": "2m"}); res.status != 200 ||
			!strings.Contains(string(res.body), `"group_by_service":false`) {
			t.Fatalf("left out: %d %s", res.status, res.body)
		}
	})
}
