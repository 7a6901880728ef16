package change_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/change"
	"steward/internal/cmdb"
	"steward/internal/org"
	"steward/internal/schedule"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// world is a small organisation with a change advisory board.
type world struct {
	svc                       *change.Service
	e                         storetest.Engine
	cab                       int64
	admin, planner, auditor   *auth.Principal
	member1, member2, member3 *auth.Principal
	outsider                  *auth.Principal
	ci1, ci2                  int64
	start                     time.Time
}

// sameCIDetectorForTests is a stand-in for the schedule service's
// detection while it is being built: it reports the other open changes
// whose window overlaps (half-open) and that touch one of the same CIs,
// read with a real query over record_cis.
func sameCIDetectorForTests(ctx context.Context, q store.Querier, w schedule.Window) ([]schedule.Conflict, error) {
	if len(w.CIs) == 0 {
		return nil, nil
	}
	args := []any{w.ChangeID, store.TS(w.End), store.TS(w.Start)}
	for _, id := range w.CIs {
		args = append(args, id)
	}
	rows, err := q.Query(ctx, `SELECT DISTINCT c.id, rc.ci_id FROM changes c JOIN record_cis rc ON rc.kind = 'change' AND rc.record_id = c.id
		WHERE c.id <> ? AND c.planned_start < ? AND c.planned_end > ? AND c.state NOT IN ('closed', 'cancelled', 'rejected')
		AND rc.ci_id IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(w.CIs)), ", ")+`) ORDER BY c.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []schedule.Conflict
	for rows.Next() {
		var id, ci int64
		if err := rows.Scan(&id, &ci); err != nil {
			return nil, err
		}
		out = append(out, schedule.Conflict{Kind: schedule.SameCI, Change: change.Number(id), ChangeID: id, CIID: ci,
			Reason: change.Number(id) + " touches the same CI in an overlapping window"})
	}
	return out, rows.Err()
}

func newWorld(t *testing.T, e storetest.Engine) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{e: e, start: time.Date(2030, 3, 4, 22, 0, 0, 0, time.UTC)}
	cm := cmdb.NewService(e.DB, nil)
	w.svc = &change.Service{DB: e.DB, CMDB: cm, Conflicts: sameCIDetectorForTests}
	g, err := org.Groups.Create(ctx, e.DB, audit.System, "Change advisory board")
	if err != nil {
		t.Fatal(err)
	}
	w.cab = g.ID
	mk := func(email string, role auth.Role, groups ...int64) *auth.Principal {
		t.Helper()
		u, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: email, Name: email, Role: role,
			Password: "long-enough-password", GroupIDs: groups})
		if err != nil {
			t.Fatalf("create %s: %v", email, err)
		}
		return &auth.Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Role: role, GroupIDs: u.GroupIDs}
	}
	w.admin = mk("admin@x.test", auth.Admin)
	w.planner = mk("planner@x.test", auth.Agent, w.cab)
	w.member1 = mk("m1@x.test", auth.Agent, w.cab)
	w.member2 = mk("m2@x.test", auth.Agent, w.cab)
	w.member3 = mk("m3@x.test", auth.Admin, w.cab)
	w.outsider = mk("outsider@x.test", auth.Agent)
	w.auditor = mk("auditor@x.test", auth.Auditor)
	for _, dst := range []*int64{&w.ci1, &w.ci2} {
		c, err := cm.CreateCI(ctx, audit.System, cmdb.NewCI{Type: "Application", Name: "app-" + time.Now().Format("150405.000000")}, nil)
		if err != nil {
			t.Fatal(err)
		}
		*dst = c.ID
	}
	w.policy(t, "normal", "", "any")
	return w
}

// policy points every policy row for typ at the board with rule.
func (w *world) policy(t *testing.T, typ, risk, rule string) {
	t.Helper()
	ps, err := w.svc.Policies(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Type == typ && (risk == "" || p.Risk == risk) {
			if err := w.svc.SetPolicy(context.Background(), w.admin, p.ID, &w.cab, nil, rule); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }

func (w *world) create(t *testing.T, p *auth.Principal, in change.NewChange) change.Change {
	t.Helper()
	c, err := w.svc.Create(context.Background(), p, in, nil)
	if err != nil {
		t.Fatalf("create %q: %v", in.Title, err)
	}
	return c
}

func (w *world) update(t *testing.T, p *auth.Principal, id int64, pt change.Patch) change.Change {
	t.Helper()
	c, err := w.svc.Update(context.Background(), p, id, pt, 0)
	if err != nil {
		t.Fatalf("update %d: %v", id, err)
	}
	return c
}

// answers answers the questionnaire with the lowest risk.
func answers() map[string]string {
	out := map[string]string{}
	for _, q := range change.Questionnaire {
		out[q.Key] = q.Answers[0].Value
	}
	return out
}

// template adds an approved (or not) standard change template.
func (w *world) template(t *testing.T, name string, approved bool) change.Template {
	t.Helper()
	tp, err := w.svc.SaveTemplate(context.Background(), w.admin, 0, change.TemplateInput{Name: ptr(name),
		Description: ptr("Routine"), ImplementationPlan: ptr("Do it"), TestPlan: ptr("Check it"), BackoutPlan: ptr("Undo it"),
		Risk: ptr("low"), Approved: ptr(approved)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return tp
}
