package mail_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/change"
	"steward/internal/cmdb"
	"steward/internal/mail"
	"steward/internal/notify"
	"steward/internal/org"
	"steward/internal/store/storetest"
)

// member creates an account in group and returns it as a principal.
func (s *site) member(key string, role auth.Role, name string, group int64) *auth.Principal {
	s.t.Helper()
	u, err := auth.CreateUser(context.Background(), s.e.DB, audit.System, auth.NewUser{Email: key + "@mail.test", Name: name, Role: role,
		Password: "a-long-password", GroupIDs: []int64{group}})
	if err != nil {
		s.t.Fatal(err)
	}
	p := &auth.Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Role: role, GroupIDs: u.GroupIDs}
	s.users[key] = p
	return p
}

// toBoard raises a normal change as p, fills in what each stage needs
// and sends it to its board.
func (s *site) toBoard(p *auth.Principal, title string) change.Change {
	s.t.Helper()
	ctx := context.Background()
	ci, err := s.app.CMDB.CreateCI(ctx, audit.System, cmdb.NewCI{Type: "Application", Name: "app for " + title}, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	start := time.Date(2031, 5, 6, 22, 0, 0, 0, time.UTC)
	end := start.Add(2 * time.Hour)
	c, err := s.app.Changes.Create(ctx, p, change.NewChange{Title: title, Type: change.Normal, Description: "What it does",
		Justification: "Why", CIIDs: []int64{ci.ID}, PlannedStart: &start, PlannedEnd: &end}, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	answers := map[string]string{}
	for _, q := range change.Questionnaire {
		answers[q.Key] = q.Answers[0].Value
	}
	steps := []change.Patch{{State: ptr(change.Assessment)}, {State: ptr(change.Approval), RiskAnswers: answers,
		ImplementationPlan: ptr("Do it"), TestPlan: ptr("Check it"), BackoutPlan: ptr("Undo it")}}
	for _, pt := range steps {
		if c, err = s.app.Changes.Update(ctx, p, c.ID, pt, 0); err != nil {
			s.t.Fatalf("to %s: %v", *pt.State, err)
		}
	}
	return c
}

// byRecipient indexes messages by their one recipient.
func byRecipient(t *testing.T, mp *mailpit, msgs []mpMessage) map[string]mpMessage {
	t.Helper()
	out := map[string]mpMessage{}
	for _, m := range msgs {
		full := mp.message(t, m.ID)
		if len(full.To) != 1 {
			t.Fatalf("message %q has recipients %+v, want one", full.Subject, full.To)
		}
		if _, dup := out[full.To[0].Address]; dup {
			t.Fatalf("%s got two messages", full.To[0].Address)
		}
		out[full.To[0].Address] = full
	}
	return out
}

// When a change goes to its board, each member learns that a decision
// waits for them, in Steward and by mail unless they switched approvals
// off; when the board has decided, the person who asked is told.
func TestChangeBoardIsToldAndRequesterHearsTheDecision(t *testing.T) {
	mp := startMailpit(t)
	e := storetest.SQLite(t)
	ctx := context.Background()
	s := newSite(t, e, mp.smtpURL())
	cab, err := org.Groups.Create(ctx, e.DB, audit.System, "Change advisory board")
	if err != nil {
		t.Fatal(err)
	}
	admin := s.user("admin", auth.Admin, "Ada Admin")
	planner := s.member("planner", auth.Agent, "Pia Planner", cab.ID)
	m1 := s.member("m1", auth.Agent, "Max One", cab.ID)
	m2 := s.member("m2", auth.Admin, "Mia Two", cab.ID)
	m3 := s.member("m3", auth.Agent, "Moe Three", cab.ID)
	if _, err := mail.SaveSettings(ctx, e.DB, audit.System, m3.UserID, mail.Settings{Off: []string{"approvals"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.SetPreferences(ctx, e.DB, m2.Actor(), m2.UserID, auth.Preferences{TimeZone: "Europe/Berlin", Locale: "de-DE", Language: "de"}); err != nil {
		t.Fatal(err)
	}
	ps, err := s.app.Changes.Policies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Type == change.Normal {
			if err := s.app.Changes.SetPolicy(ctx, admin, p.ID, &cab.ID, nil, change.Majority); err != nil {
				t.Fatal(err)
			}
		}
	}

	c := s.toBoard(planner, "Move the mail server")
	s.mailOut()
	got := byRecipient(t, mp, mp.waitFor(t, 2))
	for _, who := range []*auth.Principal{m1, m2} {
		m, ok := got[who.Email]
		if !ok {
			t.Fatalf("board member %s got no mail; mail went to %v", who.Email, keys(got))
		}
		want := "[" + c.Number + "] Approval needed: Move the mail server"
		if who == m2 {
			want = "[" + c.Number + "] Genehmigung nötig: Move the mail server"
		}
		if m.Subject != want {
			t.Errorf("to %s: subject %q, want %q", who.Email, m.Subject, want)
		}
		if !strings.Contains(m.Text, "/changes/"+c.Number) || !strings.Contains(m.Text, "Change advisory board") {
			t.Errorf("to %s: the message neither links the change nor names the board:\n%s", who.Email, m.Text)
		}
	}
	// In Steward, every member is told, including the one who switched
	// approval mail off; the planner, who raised it, is not asked.
	for _, who := range []*auth.Principal{m1, m2, m3, planner} {
		list, _, err := notify.List(ctx, e.DB, who.UserID, notify.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		asked := len(list) == 1 && list[0].Kind == change.KindApprovalRequested && list[0].Link == "/changes/"+c.Number
		if asked != (who != planner) {
			t.Errorf("%s has notifications %+v", who.Email, list)
		}
	}

	// Two of three approve (majority): the planner hears of it.
	for _, who := range []*auth.Principal{m1, m3} {
		if _, err := s.app.Changes.Decide(ctx, who, c.ID, "approve", "Fine"); err != nil {
			t.Fatal(err)
		}
	}
	s.mailOut()
	all := mp.waitFor(t, 3)
	m := mp.message(t, all[0].ID)
	if len(m.To) != 1 || m.To[0].Address != planner.Email || m.Subject != "["+c.Number+"] Approved: Move the mail server" {
		t.Fatalf("after the board approved: %q to %+v", m.Subject, m.To)
	}
}

func keys(m map[string]mpMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
