package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"steward/internal/incident"
)

func matrixForm(edit map[string]string) url.Values {
	f := url.Values{}
	for _, i := range incident.Levels {
		for _, u := range incident.Levels {
			f.Set("m_"+string(i)+"_"+string(u), incident.DefaultMatrix().Priority(i, u).String())
		}
	}
	for k, v := range edit {
		f.Set(k, v)
	}
	return f
}

func TestPriorityMatrixPage(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	admin := s.signedIn("admin")
	p := admin.get("/settings/priority-matrix")
	if p.status != 200 || !strings.Contains(p.body, `name="m_high_low"`) || !strings.Contains(p.body, `href="/settings/priority-matrix" aria-current="page"`) {
		t.Fatalf("admin's matrix page: %d", p.status)
	}

	t.Run("a cell without a priority is refused, the grid kept", func(t *testing.T) {
		bad := admin.post("/settings/priority-matrix", matrixForm(map[string]string{"m_high_low": "P9", "m_low_low": "P2"}))
		if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "Impact high with urgency low needs a priority P1 to P5.") ||
			!strings.Contains(bad.body, `<option value="P2" selected>P2</option>`) {
			t.Fatalf("refused matrix: %d", bad.status)
		}
		m, err := s.app.Incidents.Matrix(ctx)
		if err != nil || m.Priority(incident.Low, incident.Low) != 5 {
			t.Fatalf("the matrix changed: %v %v", m, err)
		}
	})

	t.Run("agents and auditors read it and may not change it", func(t *testing.T) {
		for _, role := range []string{"agent", "auditor"} {
			b := s.signedIn(role)
			p := b.get("/settings/priority-matrix")
			if p.status != 200 || strings.Contains(p.body, `name="m_high_low"`) || !strings.Contains(p.body, `<span class="prio prio-p1">P1</span>`) ||
				!strings.Contains(p.body, "Only administrators change the matrix.") {
				t.Fatalf("%s's matrix page: %d", role, p.status)
			}
			if p := b.post("/settings/priority-matrix", matrixForm(map[string]string{"m_low_low": "P1"})); p.status != http.StatusForbidden {
				t.Fatalf("%s saved the matrix: %d", role, p.status)
			}
		}
		req := s.signedIn("requester")
		if p := req.get("/settings/priority-matrix"); p.status != http.StatusForbidden {
			t.Fatalf("requester: %d", p.status)
		}
		if p := req.get("/"); strings.Contains(p.body, "/settings/priority-matrix") {
			t.Fatal("requesters see the matrix link")
		}
	})

	t.Run("saved, new incidents use it", func(t *testing.T) {
		ok := admin.post("/settings/priority-matrix", matrixForm(map[string]string{"m_low_low": "P2"}))
		if ok.status != http.StatusSeeOther || ok.location != "/settings/priority-matrix" {
			t.Fatalf("save: %d %q", ok.status, ok.location)
		}
		if p := admin.get(ok.location); !strings.Contains(p.body, "Priority matrix saved.") {
			t.Fatal("no notice after saving")
		}
		m, err := s.app.Incidents.Matrix(ctx)
		if err != nil || m.Priority(incident.Low, incident.Low) != 2 || m.Priority(incident.High, incident.High) != 1 {
			t.Fatalf("matrix after saving: %v %v", m, err)
		}
	})
}
