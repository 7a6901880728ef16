package mail_test

import (
	"context"
	"net/http"
	"net/textproto"
	"regexp"
	"strings"
	"testing"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/incident"
	"steward/internal/mail"
	"steward/internal/patch"
	"steward/internal/store/storetest"
)

// headerOf reads one header of a raw message, unfolded.
func headerOf(raw, name string) []string {
	head, _, _ := strings.Cut(strings.ReplaceAll(raw, "\r\n", "\n"), "\n\n")
	head = strings.ReplaceAll(head, "\n ", " ")
	head = strings.ReplaceAll(head, "\n\t", " ")
	var out []string
	for _, line := range strings.Split(head, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && textproto.CanonicalMIMEHeaderKey(k) == textproto.CanonicalMIMEHeaderKey(name) {
			out = append(out, strings.TrimSpace(v))
		}
	}
	return out
}

// A public comment on an incident reaches its requester: the number in the
// subject, a plain-text and an HTML part with the comment and the link,
// and the headers that thread it and lead a reply back to the incident.
func TestCommentReachesTheRequester(t *testing.T) {
	mp := startMailpit(t, "--smtp-auth-accept-any", "--smtp-auth-allow-insecure")
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newSite(t, e, mp.smtpURL())
		t.Cleanup(func() { clearMailpit(t, mp) })
		agent := s.user("agent", auth.Agent, "Alex Agent")
		ann := s.user("ann", auth.Requester, "Ann Requester")
		inc := s.incident(agent, ann, "Printer on floor 2 jams")
		s.comment(agent, inc, "Please switch it off and on.\n\nThe <b>tray</b> may be stuck.")
		s.mailOut()

		got := mp.waitFor(t, 1)
		m := mp.message(t, got[0].ID)
		if len(m.To) != 1 || m.To[0].Address != "ann@mail.test" {
			t.Fatalf("sent to %+v, want the requester alone", m.To)
		}
		if want := "[" + inc.Number + "] New comment on Printer on floor 2 jams"; m.Subject != want {
			t.Errorf("subject %q, want %q", m.Subject, want)
		}
		link := s.url + "/incidents/" + inc.Number + "#journal"
		for _, part := range []struct{ name, body string }{{"text", m.Text}, {"HTML", m.HTML}} {
			if !strings.Contains(part.body, "Please switch it off and on.") || !strings.Contains(part.body, link) {
				t.Errorf("the %s part lacks the comment or the link %s:\n%s", part.name, link, part.body)
			}
		}
		if strings.Contains(m.HTML, "<b>tray</b>") || !strings.Contains(m.HTML, "&lt;b&gt;tray&lt;/b&gt;") {
			t.Errorf("the comment's markup should reach the HTML part as text:\n%s", m.HTML)
		}
		raw := mp.raw(t, got[0].ID)
		if !strings.Contains(raw, "multipart/alternative") {
			t.Errorf("not multipart/alternative:\n%s", raw)
		}
		thread := "<steward." + inc.Number + "@steward.test>"
		for name, want := range map[string]string{"In-Reply-To": thread, "References": thread, "Auto-Submitted": "auto-generated",
			"X-Steward-Ref": inc.Number} {
			if v := headerOf(raw, name); len(v) != 1 || v[0] != want {
				t.Errorf("%s: %q, want %q", name, v, want)
			}
		}
		id := headerOf(raw, "Message-ID")
		if len(id) != 1 || !regexp.MustCompile(`^<steward\.INC-\d{6}\.\d+\.[a-z2-7]+@steward\.test>$`).MatchString(id[0]) {
			t.Fatalf("Message-ID %q", id)
		}
		if ref, ok := mail.RefFromMessageID(id[0]); !ok || ref != inc.Number {
			t.Errorf("the inbound side reads %q, %v from the Message-ID, want %s", ref, ok, inc.Number)
		}
		if c := s.states(); c[mail.Sent] != 1 || len(c) != 1 {
			t.Errorf("outbox %v, want the one message sent", c)
		}
		// The requester's own comment goes to the assignee, not back to them.
		if _, err := s.app.Incidents.Update(context.Background(), agent, inc.ID, incident.Patch{AssigneeID: patch.Of(agent.UserID)}, 0); err != nil {
			t.Fatal(err)
		}
		s.comment(ann, inc, "It still jams.")
		s.mailOut()
		var toAgent int
		// The agent also hears that the incident was given to them.
		for _, m := range mp.waitFor(t, 3) {
			if m.To[0].Address == "agent@mail.test" && strings.HasPrefix(m.Subject, "["+inc.Number+"] New comment") {
				toAgent++
			}
		}
		if toAgent != 1 {
			t.Errorf("the assignee got %d mails about the requester's comment, want 1", toAgent)
		}
	})
}

// A person who switched a category off gets nothing of it and the rest as
// before; people without an address or disabled get nothing at all; a
// person who reads German reads German.
func TestWhoGetsWhat(t *testing.T) {
	mp := startMailpit(t)
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newSite(t, e, mp.smtpURL())
		t.Cleanup(func() { clearMailpit(t, mp) })
		ctx := context.Background()
		agent := s.user("agent", auth.Agent, "Alex Agent")
		quiet := s.user("quiet", auth.Requester, "Quentin Quiet")
		gone := s.user("gone", auth.Requester, "Gina Gone")
		greta := s.user("greta", auth.Requester, "Greta Grün")
		if _, err := mail.SaveSettings(ctx, e.DB, quiet.Actor(), quiet.UserID, mail.Settings{Off: []string{"comments"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := auth.SetPreferences(ctx, e.DB, greta.Actor(), greta.UserID, auth.Preferences{TimeZone: "Europe/Berlin", Locale: "de-DE", Language: "de"}); err != nil {
			t.Fatal(err)
		}
		quietInc := s.incident(agent, quiet, "VPN drops")
		goneInc := s.incident(agent, gone, "Laptop fan loud")
		gretaInc := s.incident(agent, greta, "Drucker klemmt")
		if _, err := auth.UpdateUser(ctx, e.DB, audit.System, gone.UserID, auth.UserPatch{Active: ptr(false)}, 0); err != nil {
			t.Fatal(err)
		}
		for _, inc := range []incident.Incident{quietInc, goneInc, gretaInc} {
			s.comment(agent, inc, "Looking into it.")
		}
		s.mailOut()
		got := mp.waitFor(t, 1)
		if got[0].To[0].Address != "greta@mail.test" {
			t.Fatalf("mail went to %s, want only Greta: Quentin switched comments off and Gina is disabled", got[0].To[0].Address)
		}
		if want := "[" + gretaInc.Number + "] Neuer Kommentar zu Drucker klemmt"; got[0].Subject != want {
			t.Errorf("German subject %q, want %q", got[0].Subject, want)
		}
		// In her zone and format: "schrieb am 05.12.2026, 20:40 CET:".
		wrote := regexp.MustCompile(`Alex Agent schrieb am \d\d\.\d\d\.\d{4}, \d\d:\d\d CES?T:`)
		if m := mp.message(t, got[0].ID); !strings.Contains(m.Text, "Hallo Greta Grün") || !wrote.MatchString(m.Text) {
			t.Errorf("German text part:\n%s", m.Text)
		}
		if n := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM notifications WHERE mail_state IS NOT NULL"); n != 0 {
			t.Errorf("%d notifications still marked for mailing after the dispatcher ran", n)
		}
		// Quentin still hears of the resolution, a category left on.
		if _, err := s.app.Incidents.Update(ctx, agent, quietInc.ID, incident.Patch{State: ptr(incident.Resolved),
			ResolutionCode: ptr("fixed"), ResolutionNotes: ptr("New VPN profile")}, 0); err != nil {
			t.Fatal(err)
		}
		s.mailOut()
		// Greta's comment, the resolution and the survey that comes with it.
		var resolved, surveyed bool
		for _, m := range mp.waitFor(t, 3) {
			resolved = resolved || (m.To[0].Address == "quiet@mail.test" && m.Subject == "["+quietInc.Number+"] Resolved: VPN drops")
			surveyed = surveyed || (m.To[0].Address == "quiet@mail.test" && strings.Contains(m.Subject, quietInc.Number) && m.Subject != "["+quietInc.Number+"] Resolved: VPN drops")
		}
		if !resolved {
			t.Error("Quentin did not get the resolution mail")
		}
		if !surveyed {
			t.Error("Quentin was not asked how it went")
		}
	})
}

func ptr[T any](v T) *T { return &v }

// clearMailpit empties the mailbox between engines.
func clearMailpit(_ testing.TB, mp *mailpit) {
	req, _ := http.NewRequest("DELETE", mp.api("/api/v1/messages"), nil)
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
	}
}
