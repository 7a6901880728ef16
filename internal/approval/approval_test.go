package approval_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"steward/internal/approval"
	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/org"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

func TestNeeded(t *testing.T) {
	for _, c := range []struct {
		rule approval.Rule
		n    int
		want int
	}{
		{approval.Any, 1, 1}, {approval.Any, 5, 1},
		{approval.All, 1, 1}, {approval.All, 4, 4},
		{approval.Majority, 1, 1}, {approval.Majority, 2, 2}, {approval.Majority, 3, 2}, {approval.Majority, 4, 3}, {approval.Majority, 5, 3},
		{"", 3, 1},
	} {
		if got := c.rule.Needed(c.n); got != c.want {
			t.Errorf("%q of %d needs %d, want %d", c.rule, c.n, got, c.want)
		}
	}
}

// The rules as a table: the decisions made so far (a approved, r
// rejected, p pending, w withdrawn) and where the step stands.
func TestTally(t *testing.T) {
	for _, c := range []struct {
		rule      approval.Rule
		decisions string
		want      approval.State
	}{
		{approval.Any, "ppp", approval.Pending},
		{approval.Any, "app", approval.Approved},
		{approval.Any, "rrp", approval.Pending},
		{approval.Any, "rrr", approval.Rejected},
		{approval.All, "aap", approval.Pending},
		{approval.All, "aaa", approval.Approved},
		{approval.All, "rpp", approval.Rejected},
		{approval.All, "aaw", approval.Approved}, // a withdrawn approval is not waited for
		{approval.Majority, "app", approval.Pending},
		{approval.Majority, "aap", approval.Approved},
		{approval.Majority, "rpp", approval.Pending},
		{approval.Majority, "rrp", approval.Rejected},
		{approval.Majority, "aarr", approval.Rejected}, // 3 of 4 needed, at most 2 left
		{approval.Majority, "aapp", approval.Pending},
		{approval.All, "", approval.Pending},
		{approval.Any, "www", approval.Pending},
	} {
		as := make([]approval.Approval, len(c.decisions))
		for i, d := range c.decisions {
			as[i].State = map[rune]approval.State{'a': approval.Approved, 'r': approval.Rejected, 'p': approval.Pending, 'w': approval.Withdrawn}[d]
		}
		if got := approval.Tally(c.rule, as); got != c.want {
			t.Errorf("%s with %q: %s, want %s", c.rule, c.decisions, got, c.want)
		}
	}
}

// permSignOff is the permission of a kind the product does not have: an
// evidence sign-off.
var permSignOff = auth.Declare("signoff_test:decide", "Decide evidence sign-offs (test kind)", auth.Admin, auth.Agent)

// bench is a database with people, a board, and the toy sign-off kind,
// whose journal is kept in memory.
type bench struct {
	db      *store.DB
	p       map[string]*auth.Principal
	board   int64
	kind    *approval.Kind
	mu      sync.Mutex
	journal []string
}

func newBench(t *testing.T, e storetest.Engine) *bench {
	t.Helper()
	ctx := context.Background()
	b := &bench{db: e.DB, p: map[string]*auth.Principal{}}
	g, err := org.Groups.Create(ctx, e.DB, audit.System, "Evidence board")
	if err != nil {
		t.Fatal(err)
	}
	b.board = g.ID
	for _, u := range []struct {
		key    string
		role   auth.Role
		groups []int64
	}{
		{"ann", auth.Agent, []int64{g.ID}}, {"ben", auth.Agent, []int64{g.ID}}, {"cat", auth.Agent, nil},
		{"dan", auth.Auditor, []int64{g.ID}}, {"eve", auth.Agent, []int64{g.ID}}, {"fay", auth.Agent, nil},
	} {
		user, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: u.key + "@signoff.test", Name: u.key, Role: u.role,
			Password: "a-long-password", GroupIDs: u.groups})
		if err != nil {
			t.Fatal(err)
		}
		b.p[u.key] = &auth.Principal{UserID: user.ID, Email: user.Email, Name: user.Name, Role: u.role, GroupIDs: u.groups}
	}
	b.kind = &approval.Kind{
		Name: "signoff", Perm: permSignOff,
		Link: func(s approval.Subject) string { return "/signoffs/" + s.Number },
		Journal: func(_ context.Context, _ *store.Tx, s approval.Subject, p *auth.Principal, a approval.Approval, _ time.Time) error {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.journal = append(b.journal, s.Number+" "+p.Name+" "+string(a.State)+" "+a.Comment)
			return nil
		},
		Asked: func(s approval.Subject) approval.Notice {
			return approval.Notice{Kind: "signoff_requested", Title: "Sign-off needed: " + s.Number}
		},
		Told: func(s approval.Subject, outcome approval.State, _ string) approval.Notice {
			return approval.Notice{Kind: "signoff_" + string(outcome), Title: string(outcome) + ": " + s.Number}
		},
	}
	return b
}

// open puts record id (raised by eve for cat) to the given approvers.
func (b *bench) open(t *testing.T, id int64, rule approval.Rule, slots ...approval.Slot) approval.Subject {
	t.Helper()
	s := b.subject(id, rule)
	ctx := context.Background()
	if err := b.db.InTx(ctx, func(tx *store.Tx) error { return b.kind.Open(ctx, tx, s, slots, time.Now()) }); err != nil {
		t.Fatal(err)
	}
	return s
}

func (b *bench) subject(id int64, rule approval.Rule) approval.Subject {
	return approval.Subject{ID: id, Number: "SO-" + string(rune('0'+id)), Title: "Backup evidence", SubmitterID: b.p["eve"].UserID,
		RequesterID: b.p["cat"].UserID, Awaiting: true, Rule: rule}
}

func (b *bench) decide(s approval.Subject, who string, approvalID int64, approve bool, comment string) (approval.Approval, approval.State, error) {
	ctx := context.Background()
	var a approval.Approval
	var st approval.State
	err := b.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		a, st, err = b.kind.Decide(ctx, tx, b.p[who], s, approvalID, approve, comment)
		if err == nil {
			err = b.kind.Tell(ctx, tx, s, st, comment)
		}
		return err
	})
	return a, st, err
}

func (b *bench) approvals(t *testing.T, id int64) []approval.Approval {
	t.Helper()
	as, err := b.kind.Of(context.Background(), b.db, id)
	if err != nil {
		t.Fatal(err)
	}
	return as
}

func (b *bench) told(t *testing.T, who, kind string) int {
	return storetest.Count(t, b.db, "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = ?", b.p[who].UserID, kind)
}

func ptr(v int64) *int64 { return &v }

func TestDecide(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		b := newBench(t, e)

		t.Run("a quorum of named and group approvers", func(t *testing.T) {
			s := b.open(t, 1, approval.Majority,
				approval.Slot{UserID: &b.p["ann"].UserID}, approval.Slot{GroupID: &b.board}, approval.Slot{UserID: &b.p["fay"].UserID})
			as := b.approvals(t, 1)
			if len(as) != 3 || as[1].GroupName != "Evidence board" || as[0].ApproverName != "ann" {
				t.Fatalf("approvals %+v", as)
			}
			// Everyone who may decide is told once (ann is named and in the
			// group), but not the group's auditor (no permission) nor eve,
			// who raised the record.
			for who, want := range map[string]int{"ann": 1, "ben": 1, "fay": 1, "dan": 0, "eve": 0, "cat": 0} {
				if got := b.told(t, who, "signoff_requested"); got != want {
					t.Errorf("%s told %d times, want %d", who, got, want)
				}
			}
			if w, err := b.kind.Waiting(ctx, b.db, b.p["ben"].UserID, 10); err != nil || len(w) != 1 || w[0].ID != as[1].ID {
				t.Fatalf("waiting for ben: %+v %v", w, err)
			}
			if ok, err := b.kind.Asks(ctx, b.db, 1, b.p["cat"].UserID); err != nil || ok {
				t.Fatalf("cat is asked: %v %v", ok, err)
			}

			// Whoever is not a named approver, nor in the group, is refused.
			if _, _, err := b.decide(s, "cat", as[0].ID, true, ""); !refused(err, "") {
				t.Errorf("the requester decided: %v", err)
			}
			if _, _, err := b.decide(s, "eve", as[1].ID, true, ""); !refused(err, "submitted") {
				t.Errorf("the submitter decided for the group: %v", err)
			}
			if _, _, err := b.decide(s, "fay", as[0].ID, true, ""); !refused(err, "not the approver") {
				t.Errorf("fay decided ann's approval: %v", err)
			}
			if _, _, err := b.decide(s, "dan", as[1].ID, true, ""); !errors.Is(err, domainerr.ErrForbidden) {
				t.Errorf("an auditor decided: %v", err)
			}
			if _, _, err := b.decide(s, "ann", 999999, true, ""); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("an approval of another record: %v", err)
			}
			if _, _, err := b.decide(s, "ben", as[1].ID, false, " "); !invalid(err, "comment") {
				t.Errorf("a rejection without a reason: %v", err)
			}

			// A member decides for the group; one of the two needed.
			a, st, err := b.decide(s, "ben", as[1].ID, true, " Restore tested ")
			if err != nil || st != approval.Pending || a.State != approval.Approved || a.Comment != "Restore tested" || a.DecidedByName != "ben" {
				t.Fatalf("ben for the group: %+v %s %v", a, st, err)
			}
			// Once decided, nobody decides it again: not ben, not ann.
			if _, _, err := b.decide(s, "ben", as[1].ID, true, ""); !conflict(err, "already decided") {
				t.Errorf("ben decided twice: %v", err)
			}
			if _, _, err := b.decide(s, "ann", as[1].ID, false, "no"); !conflict(err, "already settled") {
				t.Errorf("ann overruled the group's decision: %v", err)
			}
			if w, _ := b.kind.Waiting(ctx, b.db, b.p["ben"].UserID, 10); len(w) != 0 {
				t.Errorf("still waiting for ben: %+v", w)
			}

			// ann's own approval, picked without naming it, makes the quorum.
			if _, st, err = b.decide(s, "ann", 0, true, ""); err != nil || st != approval.Approved {
				t.Fatalf("ann: %s %v", st, err)
			}
			if _, _, err := b.decide(s, "ann", 0, true, ""); !conflict(err, "each approver decides once") {
				t.Errorf("ann decided twice: %v", err)
			}
			if b.told(t, "cat", "signoff_approved") != 1 {
				t.Error("the requester was not told")
			}
			if n := storetest.Count(t, b.db, "SELECT COUNT(*) FROM audit_log WHERE entity = 'signoff' AND action = 'approve' AND entity_id = '1'"); n != 2 {
				t.Errorf("%d audit entries, want 2", n)
			}
			if n := storetest.Count(t, b.db, "SELECT COUNT(*) FROM activity WHERE entity = 'signoff' AND entity_id = 1"); n != 2 {
				t.Errorf("%d feed entries, want 2", n)
			}
			if len(b.journal) != 2 || b.journal[0] != "SO-1 ben approved Restore tested" {
				t.Errorf("journal %q", b.journal)
			}
		})

		t.Run("all must approve, and one rejection rejects", func(t *testing.T) {
			s := b.open(t, 2, approval.All, approval.Slot{UserID: &b.p["ann"].UserID, GroupID: &b.board},
				approval.Slot{UserID: &b.p["ben"].UserID, GroupID: &b.board})
			as := b.approvals(t, 2)
			if _, _, err := b.decide(s, "ben", as[0].ID, true, ""); !refused(err, "") {
				t.Errorf("ben decided ann's approval as a group member: %v", err)
			}
			if _, st, err := b.decide(s, "ann", 0, true, ""); err != nil || st != approval.Pending {
				t.Fatalf("ann: %s %v", st, err)
			}
			if _, st, err := b.decide(s, "ben", 0, false, "Evidence is a year old"); err != nil || st != approval.Rejected {
				t.Fatalf("ben: %s %v", st, err)
			}
			if b.told(t, "cat", "signoff_rejected") != 1 {
				t.Error("the requester was not told of the rejection")
			}
		})

		t.Run("withdrawn and settled records take no decision", func(t *testing.T) {
			s := b.open(t, 3, approval.Any, approval.Slot{UserID: &b.p["ann"].UserID}, approval.Slot{UserID: &b.p["fay"].UserID})
			if err := b.db.InTx(ctx, func(tx *store.Tx) error { return b.kind.Withdraw(ctx, tx, 3) }); err != nil {
				t.Fatal(err)
			}
			for _, a := range b.approvals(t, 3) {
				if a.State != approval.Withdrawn {
					t.Errorf("approval %d is %s after withdrawal", a.ID, a.State)
				}
			}
			if _, _, err := b.decide(s, "ann", 0, true, ""); !conflict(err, "already settled") {
				t.Errorf("decided a withdrawn approval: %v", err)
			}
			s = b.open(t, 4, approval.Any, approval.Slot{UserID: &b.p["ann"].UserID})
			s.Awaiting, s.Standing = false, "it is closed"
			if _, _, err := b.decide(s, "ann", 0, true, ""); !conflict(err, "it is closed") {
				t.Errorf("decided on a closed record: %v", err)
			}
		})

		t.Run("a record put to its approvers again keeps the earlier round", func(t *testing.T) {
			s := b.open(t, 6, approval.Any, approval.Slot{UserID: &b.p["ann"].UserID}, approval.Slot{UserID: &b.p["ben"].UserID})
			if _, st, err := b.decide(s, "ann", 0, false, "Evidence missing"); err != nil || st != approval.Pending {
				t.Fatalf("ann: %s %v", st, err)
			}
			first := b.approvals(t, 6)
			again := time.Date(2026, 4, 2, 8, 30, 0, 0, time.UTC)
			err := b.db.InTx(ctx, func(tx *store.Tx) error {
				if err := b.kind.Supersede(ctx, tx, 6, again); err != nil {
					return err
				}
				return b.kind.Open(ctx, tx, s, []approval.Slot{{UserID: &b.p["ann"].UserID}, {UserID: &b.p["fay"].UserID}}, again)
			})
			if err != nil {
				t.Fatal(err)
			}
			cur := b.approvals(t, 6)
			if len(cur) != 2 || cur[0].Round != 2 || cur[0].State != approval.Pending || cur[1].ApproverName != "fay" {
				t.Fatalf("current round %+v", cur)
			}
			all, err := b.kind.History(ctx, b.db, 6)
			if err != nil || len(all) != 4 {
				t.Fatalf("history %+v %v", all, err)
			}
			ann, ben := all[0], all[1]
			if ann.ID != first[0].ID || ann.Round != 1 || ann.State != approval.Rejected || ann.Comment != "Evidence missing" ||
				ann.SupersededAt == nil || !ann.SupersededAt.Equal(again) {
				t.Errorf("ann's first decision after the new round: %+v", ann)
			}
			if ben.State != approval.Withdrawn || ben.SupersededAt == nil {
				t.Errorf("ben's undecided approval of the first round: %+v", ben)
			}
			if w, err := b.kind.Waiting(ctx, b.db, b.p["ben"].UserID, 10); err != nil || len(w) != 0 {
				t.Errorf("ben still waited for after the new round: %+v %v", w, err)
			}
			if _, _, err := b.decide(s, "ann", first[0].ID, true, ""); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("decided a superseded approval: %v", err)
			}
			// ann's rejection in the first round does not count: she decides
			// again, and under any one approval approves.
			if _, st, err := b.decide(s, "ann", 0, true, "Evidence attached now"); err != nil || st != approval.Approved {
				t.Fatalf("ann in the second round: %s %v", st, err)
			}
		})

		t.Run("of two decisions made at once, one settles the step", func(t *testing.T) {
			for round := int64(0); round < 4; round++ {
				id := 10 + round
				s := b.open(t, id, approval.All, approval.Slot{UserID: &b.p["ann"].UserID}, approval.Slot{UserID: &b.p["ben"].UserID})
				outcomes := make(chan approval.State, 2)
				for _, who := range []string{"ann", "ben"} {
					go func() {
						_, st, err := b.decide(s, who, 0, true, "")
						if err != nil {
							t.Error(err)
						}
						outcomes <- st
					}()
				}
				got := []approval.State{<-outcomes, <-outcomes}
				if (got[0] == approval.Approved) == (got[1] == approval.Approved) {
					t.Fatalf("round %d: outcomes %v, want one approval of the step", round, got)
				}
			}
		})

		t.Run("history moves in as given", func(t *testing.T) {
			at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
			err := b.db.InTx(ctx, func(tx *store.Tx) error {
				return b.kind.Import(ctx, tx, 5, []approval.Approval{{ApproverID: ptr(b.p["ann"].UserID), State: approval.Approved,
					Comment: "Seen", DecidedBy: ptr(b.p["ann"].UserID), CreatedAt: at, DecidedAt: &at}})
			})
			if err != nil {
				t.Fatal(err)
			}
			as := b.approvals(t, 5)
			if len(as) != 1 || as[0].DecidedByName != "ann" || !as[0].DecidedAt.Equal(at) || as[0].RecordKind != "signoff" {
				t.Fatalf("imported %+v", as)
			}
		})
	})
}

func refused(err error, word string) bool {
	var r *domainerr.Refused
	return errors.As(err, &r) && errors.Is(err, domainerr.ErrForbidden) && strings.Contains(r.Message, word)
}

func conflict(err error, word string) bool {
	var c *domainerr.Conflict
	return errors.As(err, &c) && errors.Is(err, store.ErrConflict) && strings.Contains(c.Message, word)
}

func invalid(err error, field string) bool {
	var v *domainerr.Invalid
	return errors.As(err, &v) && v.Has(field)
}
