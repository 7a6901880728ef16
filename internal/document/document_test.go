package document_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/document"
	"steward/internal/domainerr"
	"steward/internal/record"
	"steward/internal/store/storetest"
)

type world struct {
	svc                          *document.Service
	admin, admin2, agent, agent2 *auth.Principal
	auditor, requester           *auth.Principal
}

func newWorld(t *testing.T, e storetest.Engine, twoAdmins bool) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{svc: document.NewService(e.DB)}
	mk := func(email string, role auth.Role) *auth.Principal {
		t.Helper()
		u, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: email, Name: strings.Split(email, "@")[0], Role: role, Password: "long-enough-password"})
		if err != nil {
			t.Fatal(err)
		}
		return &auth.Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Role: role}
	}
	w.admin = mk("admin@x.test", auth.Admin)
	if twoAdmins {
		w.admin2 = mk("admin2@x.test", auth.Admin)
	}
	w.agent = mk("agent@x.test", auth.Agent)
	w.agent2 = mk("agent2@x.test", auth.Agent)
	w.auditor = mk("auditor@x.test", auth.Auditor)
	w.requester = mk("requester@x.test", auth.Requester)
	return w
}

func ptr[T any](v T) *T { return &v }

func fieldErr(t *testing.T, err error, field string) {
	t.Helper()
	var inv *domainerr.Invalid
	if !errors.As(err, &inv) || !inv.Has(field) {
		t.Fatalf("got %v, want a message on %s", err, field)
	}
}

func (w *world) doc(t *testing.T, title string, in document.Input) document.Document {
	t.Helper()
	in.Title = &title
	if in.Type == nil {
		in.Type = ptr(document.Policy)
	}
	d, err := w.svc.Create(context.Background(), w.admin.Actor(), in, nil)
	if err != nil {
		t.Fatalf("create %q: %v", title, err)
	}
	return d
}

func (w *world) version(t *testing.T, p *auth.Principal, id int64, body, note string) document.Version {
	t.Helper()
	v, err := w.svc.AddVersion(context.Background(), p.Actor(), id, document.NewVersion{Body: &body, ChangeNote: &note}, 0)
	if err != nil {
		t.Fatalf("version: %v", err)
	}
	return v
}

func TestApprovalRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e, true)
		d := w.doc(t, "Service management policy", document.Input{ApproverID: &w.agent.UserID, OwnerID: &w.agent2.UserID})
		v1 := w.version(t, w.admin, d.ID, "# Policy\n\nWe keep our promises.", "")
		// Neither another agent nor an admin may approve when an approver is named.
		var refused *domainerr.Refused
		if _, err := w.svc.Approve(ctx, w.agent2, d.ID, 1, document.Approval{}, 0); !errors.As(err, &refused) || !strings.Contains(refused.Message, "Only the document's approver") {
			t.Fatalf("another agent approves: %v", err)
		}
		if _, err := w.svc.Approve(ctx, w.admin, d.ID, 1, document.Approval{}, 0); !errors.As(err, &refused) {
			t.Fatalf("an admin approves over the named approver: %v", err)
		}
		got, err := w.svc.Approve(ctx, w.agent, d.ID, v1.Number, document.Approval{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		wantReview := time.Now().AddDate(1, 0, 0).Format(document.DateLayout)
		if got.Status != document.Approved || got.CurrentNumber != 1 || got.NextReview != wantReview {
			t.Fatalf("after approval: %+v (review want %s)", got, wantReview)
		}
		if _, err := w.svc.Approve(ctx, w.agent, d.ID, 1, document.Approval{}, 0); !errors.Is(err, domainerr.ErrConflict) {
			t.Fatalf("approving twice: %v", err)
		}
		// The approver wrote version 2: someone else must approve it.
		w.version(t, w.agent, d.ID, "# Policy\n\nWe keep our promises, in writing.", "Clearer")
		if _, err := w.svc.Approve(ctx, w.agent, d.ID, 2, document.Approval{}, 0); !errors.As(err, &refused) || !strings.Contains(refused.Message, "You wrote version 2") {
			t.Fatalf("author approves own version: %v", err)
		}
		// With no approver named, an admin approves; not one's own version while another admin exists.
		d2 := w.doc(t, "SMS plan", document.Input{Type: ptr(document.Other)})
		w.version(t, w.admin, d2.ID, "Plan", "")
		if _, err := w.svc.Approve(ctx, w.agent, d2.ID, 1, document.Approval{}, 0); !errors.As(err, &refused) || !strings.Contains(refused.Message, "only an administrator") {
			t.Fatalf("agent approves without approver: %v", err)
		}
		if _, err := w.svc.Approve(ctx, w.admin, d2.ID, 1, document.Approval{}, 0); !errors.As(err, &refused) {
			t.Fatalf("admin approves own version with a second admin around: %v", err)
		}
		if _, err := w.svc.Approve(ctx, w.admin2, d2.ID, 1, document.Approval{NextReview: ptr("2001-01-01")}, 0); err == nil {
			t.Fatal("a next review in the past was accepted")
		} else {
			fieldErr(t, err, "next_review")
		}
		got, err = w.svc.Approve(ctx, w.admin2, d2.ID, 1, document.Approval{NextReview: ptr("2099-06-30")}, 0)
		if err != nil || got.NextReview != "2099-06-30" {
			t.Fatalf("approval with a review date: %v %+v", err, got)
		}
		// A stale document version is refused.
		w.version(t, w.admin, d2.ID, "Plan 2", "more")
		if _, err := w.svc.Approve(ctx, w.admin2, d2.ID, 2, document.Approval{}, got.Version); !errors.Is(err, domainerr.ErrStale) {
			t.Fatalf("stale approval: %v", err)
		}
	})
}

func TestOnlyAdminMayApproveOwnVersion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e, false)
		d := w.doc(t, "Policy", document.Input{})
		w.version(t, w.admin, d.ID, "Text", "")
		got, err := w.svc.Approve(context.Background(), w.admin, d.ID, 1, document.Approval{}, 0)
		if err != nil || got.Status != document.Approved {
			t.Fatalf("the only admin approving their own text: %v %+v", err, got)
		}
	})
}

func TestSupersessionCycleIsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e, false)
		a := w.doc(t, "Policy A", document.Input{})
		b := w.doc(t, "Policy B", document.Input{SupersededBy: &a.ID})
		c := w.doc(t, "Policy C", document.Input{SupersededBy: &b.ID})
		// A superseded by C would close C -> B -> A -> C.
		_, err := w.svc.Update(ctx, w.admin.Actor(), a.ID, document.Input{SupersededBy: &c.ID}, a.Version)
		fieldErr(t, err, "superseded_by")
		if !strings.Contains(err.Error(), "cycle") {
			t.Errorf("message does not speak of a cycle: %v", err)
		}
		_, err = w.svc.Update(ctx, w.admin.Actor(), a.ID, document.Input{SupersededBy: &a.ID}, 0)
		fieldErr(t, err, "superseded_by")
		_, err = w.svc.Update(ctx, w.admin.Actor(), a.ID, document.Input{SupersededBy: ptr(int64(99999))}, 0)
		fieldErr(t, err, "superseded_by")
		// A new document replacing C is fine.
		d := w.doc(t, "Policy D", document.Input{})
		if _, err := w.svc.Update(ctx, w.admin.Actor(), c.ID, document.Input{SupersededBy: &d.ID}, 0); err != nil {
			t.Fatal(err)
		}
		if got, _ := document.Get(ctx, e.DB, a.ID); got.SupersededBy != nil {
			t.Fatalf("the refused update changed A: %+v", got)
		}
	})
}

func TestAcknowledgementsResetOnNewVersion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e, false)
		d := w.doc(t, "Acceptable use policy", document.Input{RequiresAck: ptr(true)})
		w.version(t, w.agent, d.ID, "Be nice.", "")
		if _, err := w.svc.Acknowledge(ctx, w.agent, d.ID); !errors.Is(err, domainerr.ErrConflict) {
			t.Fatalf("acknowledging a draft: %v", err)
		}
		d, err := w.svc.Approve(ctx, w.admin, d.ID, 1, document.Approval{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := document.PendingCount(ctx, e.DB, w.agent.UserID); n != 1 {
			t.Fatalf("agent has %d to acknowledge, want 1", n)
		}
		for _, p := range []*auth.Principal{w.agent, w.auditor, w.agent} {
			if _, err := w.svc.Acknowledge(ctx, p, d.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.svc.Acknowledge(ctx, w.requester, d.ID); !errors.Is(err, domainerr.ErrForbidden) {
			t.Fatalf("requester acknowledges: %v", err)
		}
		cov, err := document.CoverageOf(ctx, e.DB, d)
		if err != nil {
			t.Fatal(err)
		}
		// Staff: admin, agent, agent2, auditor; not the requester.
		if cov.Staff != 4 || len(cov.Done) != 2 || len(cov.Pending) != 2 {
			t.Fatalf("coverage %+v", cov)
		}
		if n, _ := document.PendingCount(ctx, e.DB, w.agent.UserID); n != 0 {
			t.Fatalf("agent still has %d to acknowledge", n)
		}
		w.version(t, w.admin, d.ID, "Be nice. Always.", "Always")
		// A written but unapproved version changes nothing yet.
		if n, _ := document.PendingCount(ctx, e.DB, w.agent.UserID); n != 0 {
			t.Fatalf("a draft version asks for acknowledgement: %d", n)
		}
		d, err = w.svc.Approve(ctx, w.admin, d.ID, 2, document.Approval{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		cov, _ = document.CoverageOf(ctx, e.DB, d)
		if cov.Number != 2 || len(cov.Done) != 0 || len(cov.Pending) != 4 {
			t.Fatalf("coverage after version 2: %+v", cov)
		}
		list, _ := document.Pending(ctx, e.DB, w.agent.UserID)
		if len(list) != 1 || list[0].ID != d.ID {
			t.Fatalf("pending after version 2: %+v", list)
		}
	})
}

func TestOverdueReviews(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e, false)
		late := w.doc(t, "Change policy", document.Input{})
		w.version(t, w.admin, late.ID, "x", "")
		if _, err := w.svc.Approve(ctx, w.admin, late.ID, 1, document.Approval{NextReview: ptr("2099-01-01")}, 0); err != nil {
			t.Fatal(err)
		}
		late, err := w.svc.Update(ctx, w.admin.Actor(), late.ID, document.Input{NextReview: ptr("2026-01-10")}, 0)
		if err != nil {
			t.Fatal(err)
		}
		draft := w.doc(t, "Draft with a past date", document.Input{NextReview: ptr("2020-01-01")})
		_ = draft
		page, err := document.List(ctx, e.DB, document.Filter{Overdue: true, Today: "2026-03-11"})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 1 || page.Items[0].ID != late.ID {
			t.Fatalf("overdue: %+v", page.Items)
		}
		if n := page.Items[0].DaysOverdue("2026-03-11"); n != 60 {
			t.Errorf("%d days overdue, want 60", n)
		}
		if page, _ := document.List(ctx, e.DB, document.Filter{Overdue: true, Today: "2026-01-10"}); len(page.Items) != 0 {
			t.Errorf("due today counts as overdue: %+v", page.Items)
		}
		_, err = w.svc.Update(ctx, w.admin.Actor(), late.ID, document.Input{NextReview: ptr("10/01/2026")}, 0)
		fieldErr(t, err, "next_review")
	})
}

func TestTypedFieldsAndValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e, false)
		_, err := w.svc.Create(ctx, w.admin.Actor(), document.Input{Title: ptr("Resources 2027"), Type: ptr(document.ResourcePlan),
			Attributes: &map[string]any{"period_start": "2027-12-31", "period_end": "2027-01-01", "staff_planned": "many", "budget_planned": 1000.0, "colour": "red"}}, nil)
		for _, f := range []string{"attributes.period_end", "attributes.staff_planned", "attributes.currency", "attributes.colour"} {
			fieldErr(t, err, f)
		}
		d, err := w.svc.Create(ctx, w.admin.Actor(), document.Input{Title: ptr("Resources 2027"), Type: ptr(document.ResourcePlan),
			Attributes: &map[string]any{"period_start": "2027-01-01", "period_end": "2027-12-31", "staff_planned": 12.5, "budget_planned": "950000",
				"budget_actual": 0.0, "currency": "eur"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if d.Attributes["currency"] != "EUR" || d.Attributes["budget_planned"] != 950000.0 {
			t.Fatalf("attributes stored as %+v", d.Attributes)
		}
		_, err = w.svc.Create(ctx, w.admin.Actor(), document.Input{Title: ptr("Comms"), Type: ptr(document.CommunicationPlan),
			Attributes: &map[string]any{"lines": []any{map[string]any{"what": "Newsletter"}, map[string]any{}}}}, nil)
		fieldErr(t, err, "attributes.lines.0.audience")
		_, err = w.svc.Create(ctx, w.admin.Actor(), document.Input{Title: ptr(" "), Type: ptr(document.Type("memo")),
			ProcessKey: ptr("nope"), OwnerID: &w.requester.UserID, ApproverID: &w.auditor.UserID}, nil)
		for _, f := range []string{"title", "type", "process_key", "owner_id", "approver_id"} {
			fieldErr(t, err, f)
		}
		_, err = w.svc.Update(ctx, w.admin.Actor(), d.ID, document.Input{Status: ptr(document.Approved)}, 0)
		fieldErr(t, err, "status")
		if _, err := w.svc.Update(ctx, w.admin.Actor(), d.ID, document.Input{Title: ptr("x")}, d.Version+1); !errors.Is(err, domainerr.ErrStale) {
			t.Fatalf("stale update: %v", err)
		}
		_, err = w.svc.AddVersion(ctx, w.admin.Actor(), d.ID, document.NewVersion{Body: ptr("  ")}, 0)
		fieldErr(t, err, "body")
		w.version(t, w.admin, d.ID, "one", "")
		_, err = w.svc.AddVersion(ctx, w.admin.Actor(), d.ID, document.NewVersion{Body: ptr("two")}, 0)
		fieldErr(t, err, "change_note")
	})
}

func TestMarkdownIsSafe(t *testing.T) {
	html, err := document.RenderMarkdown("# Title\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) **bold**")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, "<script") || strings.Contains(html, "javascript:") {
		t.Fatalf("unsafe HTML survived: %s", html)
	}
	if !strings.Contains(html, "<h1") || !strings.Contains(html, "<strong>bold</strong>") {
		t.Fatalf("markdown not rendered: %s", html)
	}
}

func TestDiff(t *testing.T) {
	lines, ok := document.Diff("a\nb\nc", "a\nc\nd")
	if !ok {
		t.Fatal("not compared")
	}
	var got []string
	for _, l := range lines {
		got = append(got, l.Op+l.Text)
	}
	if strings.Join(got, ",") != " a,-b, c,+d" {
		t.Fatalf("diff %v", got)
	}
}

// A version is text, a file of the document, or both; neither is refused,
// and so is a file kept with another record.
func TestVersionAsFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e, false)
		k := record.NewKernel(e.DB, 0, w.svc.Kind())
		kind, _ := k.Kinds.Get(document.KindName)
		d, other := w.doc(t, "Signed policy", document.Input{RequiresAck: ptr(true)}), w.doc(t, "Other policy", document.Input{})
		pdf := "%PDF-1.4\n%%EOF\n"
		att, err := k.Attachments.Add(ctx, w.admin, kind, d.ID, record.Upload{Filename: "policy.pdf", Body: strings.NewReader(pdf)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := k.Attachments.Add(ctx, w.agent, kind, d.ID, record.Upload{Filename: "x.pdf", Body: strings.NewReader(pdf)}); !errors.Is(err, domainerr.ErrForbidden) {
			t.Fatalf("an agent attaches: %v", err)
		}
		foreign, err := k.Attachments.Add(ctx, w.admin, kind, other.ID, record.Upload{Filename: "other.pdf", Body: strings.NewReader(pdf)})
		if err != nil {
			t.Fatal(err)
		}
		empty := ""
		_, err = w.svc.AddVersion(ctx, w.admin.Actor(), d.ID, document.NewVersion{Body: &empty}, 0)
		fieldErr(t, err, "body")
		_, err = w.svc.AddVersion(ctx, w.admin.Actor(), d.ID, document.NewVersion{AttachmentID: &foreign.ID}, 0)
		fieldErr(t, err, "attachment_id")
		_, err = w.svc.AddVersion(ctx, w.admin.Actor(), d.ID, document.NewVersion{AttachmentID: ptr(int64(99999))}, 0)
		fieldErr(t, err, "attachment_id")

		v, err := w.svc.AddVersion(ctx, w.admin.Actor(), d.ID, document.NewVersion{AttachmentID: &att.ID}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if v.File == nil || v.File.Filename != "policy.pdf" || v.File.SHA256 != att.SHA256 || v.File.Size != int64(len(pdf)) || v.Body != "" {
			t.Fatalf("version 1 = %+v, file %+v", v, v.File)
		}
		if _, err := w.svc.Approve(ctx, w.admin, d.ID, 1, document.Approval{}, 0); err != nil {
			t.Fatalf("approve a file version: %v", err)
		}
		if _, err := w.svc.Acknowledge(ctx, w.agent, d.ID); err != nil {
			t.Fatalf("acknowledge a file version: %v", err)
		}
		cur, _ := document.Get(ctx, e.DB, d.ID)
		if cov, err := document.CoverageOf(ctx, e.DB, cur); err != nil || cov.Number != 1 || len(cov.Done) != 1 {
			t.Fatalf("coverage of the file version: %+v %v", cov, err)
		}
		// Text and file together; and text alone has no file.
		both := w.version(t, w.admin, d.ID, "Summary of the signed policy.", "summary added")
		if both.File != nil {
			t.Fatalf("a text version has a file: %+v", both.File)
		}
		note := "signed again"
		v3, err := w.svc.AddVersion(ctx, w.admin.Actor(), d.ID, document.NewVersion{Body: ptr("Summary."), AttachmentID: &att.ID, ChangeNote: &note}, 0)
		if err != nil || v3.File == nil || v3.Body != "Summary." {
			t.Fatalf("text and file: %+v %v", v3, err)
		}
		// The kernel's note went to the audit trail, and the file shows in search of the kind.
		var n int
		if err := e.DB.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log WHERE entity = 'document' AND entity_id = ? AND action = 'note'", strconv.FormatInt(d.ID, 10)).Scan(&n); err != nil || n != 1 {
			t.Fatalf("audit notes of the upload: %d %v", n, err)
		}
		found, err := k.Kinds.Search(ctx, e.DB, w.auditor, "signed", 10)
		if err != nil || len(found) != 1 || found[0].Number != document.Number(d.ID) {
			t.Fatalf("search: %+v %v", found, err)
		}
		if found, _ := k.Kinds.Search(ctx, e.DB, w.requester, "signed", 10); len(found) != 0 {
			t.Fatalf("a requester finds documents: %+v", found)
		}
	})
}
