package mail_test

import (
	"context"
	"testing"
	"time"

	"steward/internal/auth"
	"steward/internal/incident"
	"steward/internal/patch"
	"steward/internal/request"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// Each category of notice that until now was shown only in Steward goes
// through the outbox to the SMTP server, to the one person it is for,
// with the record's number in the subject: an assignment, a mention, an
// incident waiting for its requester, a request's approval waiting, the
// approval decided and the request fulfilled.
func TestEachCategoryIsMailed(t *testing.T) {
	mp := startMailpit(t)
	e := storetest.SQLite(t)
	ctx := context.Background()
	s := newSite(t, e, mp.smtpURL())
	admin := s.user("admin", auth.Admin, "Ada Admin")
	agent := s.user("agent", auth.Agent, "Alex Agent")
	bea := s.user("bea", auth.Agent, "Bea Backline")
	mia := s.user("mia.mention", auth.Agent, "Mia Mention")
	vic := s.user("vic", auth.Agent, "Vic Approver")
	ann := s.user("ann", auth.Requester, "Ann Requester")

	inc := s.incident(agent, ann, "Scanner jams")
	var serviceID int64
	now := store.TS(time.Now())
	if err := e.DB.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO services (name, status, criticality, created_at, updated_at)
			VALUES ('Workplace', 'live', 'medium', ?, ?) RETURNING id`, now, now).Scan(&serviceID)
	}); err != nil {
		t.Fatal(err)
	}
	item, err := s.app.Requests.CreateItem(ctx, admin, request.NewItem{ServiceID: serviceID, Name: "Second screen",
		Approval: &request.Approval{Rule: request.UserApproval, UserID: &vic.UserID}})
	if err != nil {
		t.Fatal(err)
	}
	var req request.Request

	for _, step := range []struct {
		name    string
		act     func(t *testing.T)
		to      *auth.Principal
		subject func() string
		also    int // further messages to the same person (a survey comes with fulfilment)
	}{
		{"assignment", func(t *testing.T) {
			if _, err := s.app.Incidents.Update(ctx, agent, inc.ID, incident.Patch{AssigneeID: patch.Of(bea.UserID)}, 0); err != nil {
				t.Fatal(err)
			}
		}, bea, func() string { return "[" + inc.Number + "] Assigned to you: Scanner jams" }, 0},
		{"mention", func(t *testing.T) {
			if _, err := s.app.Incidents.AddComment(ctx, agent, inc.ID, "@mia.mention have you seen this model before?", false, nil); err != nil {
				t.Fatal(err)
			}
		}, mia, func() string { return "[" + inc.Number + "] Alex Agent mentioned you on Scanner jams" }, 0},
		{"waiting for you", func(t *testing.T) {
			if _, err := s.app.Incidents.Update(ctx, bea, inc.ID, incident.Patch{State: ptr(incident.OnHold),
				HoldReason: ptr(incident.AwaitingRequester)}, 0); err != nil {
				t.Fatal(err)
			}
		}, ann, func() string { return "[" + inc.Number + "] Waiting for you: Scanner jams" }, 0},
		{"approval waiting", func(t *testing.T) {
			var err error
			if req, err = s.app.Requests.Submit(ctx, ann, request.NewRequest{ItemID: item.ID, Description: "For spreadsheets"}, nil); err != nil {
				t.Fatal(err)
			}
		}, vic, func() string { return "[" + req.Number + "] Approval needed: Second screen" }, 0},
		{"request decision", func(t *testing.T) {
			as, err := s.app.Requests.Approvals(ctx, admin, req.ID)
			if err != nil || len(as) != 1 {
				t.Fatalf("approvals %+v %v", as, err)
			}
			if _, err := s.app.Requests.Decide(ctx, vic, req.ID, as[0].ID, true, "Budget is there"); err != nil {
				t.Fatal(err)
			}
		}, ann, func() string { return "[" + req.Number + "] Approved: Second screen" }, 0},
		{"fulfilment", func(t *testing.T) {
			if _, err := s.app.Requests.Update(ctx, agent, req.ID, request.Patch{State: ptr(request.Fulfilled)}, 0); err != nil {
				t.Fatal(err)
			}
		}, ann, func() string { return "[" + req.Number + "] Fulfilled: Second screen" }, 1},
	} {
		t.Run(step.name, func(t *testing.T) {
			before := len(mp.messages(t))
			step.act(t)
			s.mailOut()
			got := mp.waitFor(t, before+1+step.also)
			want, found := step.subject(), false
			for _, m := range got[:1+step.also] { // newest first
				m = mp.message(t, m.ID)
				if len(m.To) != 1 || m.To[0].Address != step.to.Email {
					t.Errorf("%q went to %+v, want %s alone", m.Subject, m.To, step.to.Email)
				}
				found = found || m.Subject == want
			}
			if !found {
				t.Errorf("no message with subject %q; the latest is %q", want, got[0].Subject)
			}
		})
	}
}
