package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"steward/internal/jobs"
	"steward/internal/mail"
	"steward/internal/notify"
	"steward/internal/store"
)

// The outbox page is the administrators': they see the messages by state,
// read one with its headers and text, and send a failed one again; other
// roles are refused.
func TestMailOutboxPages(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	requester, _ := s.userID(t, "requester@steward.demo")
	if _, err := s.app.DB.Exec(ctx, "DELETE FROM mail_outbox"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.DB.Exec(ctx, "UPDATE notifications SET mail_state = NULL"); err != nil {
		t.Fatal(err)
	}
	err := s.app.DB.InTx(ctx, func(tx *store.Tx) error {
		return notify.Add(ctx, tx, []int64{requester}, "incident_resolved", "Resolved: INC-000042 Projector flickers",
			"Confirm the resolution.", "/incidents/INC-000042")
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.app.Mail.Dispatch(ctx, jobs.Job{}); err != nil {
		t.Fatal(err)
	}
	list, _, err := s.app.Mail.List(ctx, mail.Filter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("outbox: %v %v", list, err)
	}
	id := strconv.FormatInt(list[0].ID, 10)
	if _, err := s.app.DB.Exec(ctx, "UPDATE mail_outbox SET state = 'failed', attempts = 12, last_error = '550 mailbox unavailable' WHERE id = ?", list[0].ID); err != nil {
		t.Fatal(err)
	}

	for _, role := range []string{"agent", "requester", "auditor"} {
		b := s.signedIn(role)
		for _, path := range []string{"/admin/mail", "/admin/mail/" + id} {
			if p := b.get(path); p.status != http.StatusForbidden {
				t.Errorf("%s GET %s: %d, want 403", role, path, p.status)
			}
		}
		if p := b.post("/admin/mail/"+id+"/retry", nil); p.status != http.StatusForbidden {
			t.Errorf("%s retry: %d, want 403", role, p.status)
		}
		if p := b.get("/"); strings.Contains(p.body, `href="/admin/mail"`) {
			t.Errorf("%s sees the outbox in the menu", role)
		}
	}
	if p := s.browser().get("/admin/mail"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/login") {
		t.Errorf("anonymous: %d %s", p.status, p.location)
	}

	admin := s.signedIn("admin")
	home := admin.get("/")
	if !strings.Contains(home.body, `href="/admin/mail"`) || !strings.Contains(home.body, "Administration") {
		t.Error("administrators find no Outgoing mail under Administration")
	}
	p := admin.get("/admin/mail?state=failed")
	for _, want := range []string{"Mail is not configured", "[INC-000042] Resolved: Projector flickers", "550 mailbox unavailable", "Failed"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the failed list lacks %q", want)
		}
	}
	if p := admin.get("/admin/mail?state=sent"); strings.Contains(p.body, "Projector flickers") {
		t.Error("a failed message is listed under Sent")
	}
	p = admin.get("/admin/mail/" + id)
	for _, want := range []string{"X-Steward-Ref", "INC-000042", "Auto-Submitted", "In-Reply-To", "&lt;steward.INC-000042@",
		"Confirm the resolution.", "Retry now"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the message page lacks %q", want)
		}
	}
	if p := admin.post("/admin/mail/"+id+"/retry", nil); p.status != http.StatusSeeOther {
		t.Fatalf("retry: %d", p.status)
	}
	if m, _ := s.app.Mail.Get(ctx, list[0].ID); m.State != mail.Queued || m.Attempts != 0 {
		t.Errorf("after retry: %s with %d attempts", m.State, m.Attempts)
	}
	if p := admin.post("/admin/mail/"+id+"/retry", nil); p.status != http.StatusConflict {
		t.Errorf("retrying a queued message: %d, want 409", p.status)
	}
}

// Each person chooses on their own page: requesters see the categories
// they can get, staff also theirs; what they switch off stays off.
func TestMailSettingsPage(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	requester, _ := s.userID(t, "requester@steward.demo")
	b := s.signedIn("requester")
	if p := b.get("/profile"); !strings.Contains(p.body, `href="/profile/mail"`) {
		t.Error("the profile page does not lead to the mail settings")
	}
	p := b.get("/profile/mail")
	if p.status != http.StatusOK || !strings.Contains(p.body, "Comments") || strings.Contains(p.body, "Service level warnings") {
		t.Fatalf("requester's mail settings: %d, comments shown %v, service levels shown %v", p.status,
			strings.Contains(p.body, "Comments"), strings.Contains(p.body, "Service level warnings"))
	}
	form := url.Values{"delivery": {"digest"}, "on": {"resolution", "waiting", "decisions", "fulfilment", "reopened", "approvals", "account", "other"}}
	if p := b.post("/profile/mail", form); p.status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", p.status, p.body)
	}
	st, err := mail.SettingsOf(ctx, s.app.DB, requester)
	if err != nil || !st.Digest || st.On("comments") || !st.On("resolution") {
		t.Errorf("saved %+v, want a digest without comments", st)
	}
	if p := b.get("/profile/mail"); !strings.Contains(p.body, `value="digest" checked`) || strings.Contains(p.body, `value="comments" checked`) {
		t.Error("the page does not show what was saved")
	}
	if p := s.signedIn("agent").get("/profile/mail"); !strings.Contains(p.body, "Service level warnings") {
		t.Error("agents are not offered the service-level category")
	}
	if p := s.browser().get("/profile/mail"); p.status != http.StatusSeeOther {
		t.Errorf("anonymous: %d", p.status)
	}
}

// Kinds read as words, the same on the outbox list, a message's page and
// the mail settings; a message sent after failing keeps its failure.
func TestMailKindLabels(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	if _, err := s.app.DB.Exec(ctx, "DELETE FROM mail_outbox"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.DB.Exec(ctx, "UPDATE notifications SET mail_state = NULL"); err != nil {
		t.Fatal(err)
	}
	agent, _ := s.userID(t, "agent@steward.demo")
	err := s.app.DB.InTx(ctx, func(tx *store.Tx) error {
		return notify.Add(ctx, tx, []int64{agent}, "sla.breach", "INC-000042 is overdue", "Projector flickers", "/incidents/INC-000042")
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.app.Mail.Dispatch(ctx, jobs.Job{}); err != nil {
		t.Fatal(err)
	}
	list, _, err := s.app.Mail.List(ctx, mail.Filter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("outbox: %v %v", list, err)
	}
	id := strconv.FormatInt(list[0].ID, 10)
	if _, err := s.app.DB.Exec(ctx, "UPDATE mail_outbox SET state = 'failed', attempts = 12, last_error = '451 greylisted' WHERE id = ?", list[0].ID); err != nil {
		t.Fatal(err)
	}
	admin := s.signedIn("admin")
	if p := admin.post("/admin/mail/"+id+"/retry", nil); p.status != http.StatusSeeOther {
		t.Fatalf("retry: %d", p.status)
	}
	// The server took it on the next attempt.
	if _, err := s.app.DB.Exec(ctx, "UPDATE mail_outbox SET state = 'sent', attempts = 1, last_error = '', sent_at = created_at WHERE id = ?", list[0].ID); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/admin/mail", "/admin/mail/" + id} {
		p := admin.get(path)
		if !strings.Contains(p.body, "SLA breached") || strings.Contains(p.body, "Sla breach") {
			t.Errorf("%s does not name the kind as words", path)
		}
		if !strings.Contains(p.body, "Failed before: 451 greylisted") && !strings.Contains(p.body, "Failed before:</strong> 451 greylisted") {
			t.Errorf("%s lost the failure before the retry", path)
		}
		if !strings.Contains(p.body, ">13<") && path == "/admin/mail" {
			t.Errorf("%s does not count every attempt", path)
		}
	}
	if p := s.signedIn("agent").get("/profile/mail"); !strings.Contains(p.body, "SLA breached") || !strings.Contains(p.body, "Assigned to you") {
		t.Error("the mail settings do not say which notices a category covers")
	}
}
