package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"steward/internal/mailin"
)

// doubleStop is a sentence ending in two full stops, not an ellipsis.
var doubleStop = regexp.MustCompile(`\w[^.<>]{0,60}[^.]\.\.(?:<|\s|$)`)

// inMail puts a message through incoming mail as if it had arrived.
func (s *site) inMail(t *testing.T, from, subject, body string, headers ...string) mailin.Result {
	t.Helper()
	raw := strings.Join(append(headers, ""), "\r\n") + "From: " + from + "\r\nTo: desk@steward.demo\r\nSubject: " + subject + "\r\nMessage-ID: <" + strconv.Itoa(len(subject)) +
		"." + strings.ReplaceAll(from, "@", ".") + "." + subject[:min(5, len(subject))] + "@example.com>\r\n\r\n" + body + "\r\n"
	res, err := s.app.Inbound.Take(context.Background(), mailin.Delivery{Raw: []byte(raw), Via: "smtp", EnvelopeFrom: from})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestIncomingMailPages: agents read the log with reasons in words and
// decide on held messages; only administrators change the map and the
// settings; requesters and auditors see neither page.
func TestIncomingMailPages(t *testing.T) {
	s := newSite(t)
	s.inMail(t, "requester@steward.demo", "Projector in room 4", "It shows no picture.")
	s.inMail(t, "requester@steward.demo", "Out of office", "away", "Auto-Submitted: auto-replied")

	for _, role := range []string{"requester", "auditor"} {
		b := s.signedIn(role)
		for _, path := range []string{"/admin/incoming-mail", "/admin/incoming-mail/log"} {
			if p := b.get(path); p.status != http.StatusForbidden {
				t.Errorf("%s GET %s: %d, want 403", role, path, p.status)
			}
		}
	}

	agent := s.signedIn("agent")
	p := agent.get("/admin/incoming-mail/log")
	if p.status != http.StatusOK || !strings.Contains(p.body, "Projector in room 4") || !strings.Contains(p.body, "Ticket opened") {
		t.Fatalf("log: %d, missing the opened ticket", p.status)
	}
	if !strings.Contains(p.body, "An automatic reply (out of office") {
		t.Error("the log does not say in words why the out-of-office reply was ignored")
	}
	if !strings.Contains(agent.get("/").body, "Incoming mail") {
		t.Error("the agent's menu lacks Incoming mail")
	}
	page := agent.get("/admin/incoming-mail")
	if page.status != http.StatusOK || strings.Contains(page.body, `action="/admin/incoming-mail/addresses"`) {
		t.Errorf("agent's view of the map: %d; it must be read-only", page.status)
	}
	if p := agent.post("/admin/incoming-mail/settings", url.Values{"unknown_sender": {"hold"}, "rate_limit": {"30"}, "rate_window_minutes": {"10"}, "max_recipients": {"50"}}); p.status != http.StatusForbidden {
		t.Errorf("agent saved settings: %d", p.status)
	}

	admin := s.signedIn("admin")
	bad := admin.post("/admin/incoming-mail/addresses", url.Values{"address": {"not an address"}})
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "must be one e-mail address") || !strings.Contains(bad.body, "Choose a customer, a support group or a catalogue item") {
		t.Errorf("bad address: %d", bad.status)
	}
	var group int64
	if err := s.app.DB.QueryRow(context.Background(), "SELECT id FROM support_groups ORDER BY id LIMIT 1").Scan(&group); err != nil {
		t.Fatal(err)
	}
	ok := admin.post("/admin/incoming-mail/addresses", url.Values{"address": {"Network@Steward.demo"}, "group_id": {strconv.FormatInt(group, 10)}})
	if ok.status != http.StatusSeeOther {
		t.Fatalf("map an address: %d %s", ok.status, ok.body)
	}
	if !strings.Contains(admin.get("/admin/incoming-mail").body, "network@steward.demo") {
		t.Error("the mapped address is not listed")
	}
	var customer int64
	if err := s.app.DB.QueryRow(context.Background(), "SELECT id FROM customers ORDER BY id LIMIT 1").Scan(&customer); err != nil {
		t.Fatal(err)
	}
	cust := strconv.FormatInt(customer, 10)
	badDomains := admin.post("/admin/incoming-mail/addresses", url.Values{"address": {"beta@steward.demo"}, "customer_id": {cust}, "domains": {"beta.example, not a domain"}})
	if badDomains.status != http.StatusUnprocessableEntity || !strings.Contains(badDomains.body, "is not a domain") || !strings.Contains(badDomains.body, `value="beta.example, not a domain"`) {
		t.Errorf("bad sender domains: %d; want the form again naming the wrong domain", badDomains.status)
	}
	if p := admin.post("/admin/incoming-mail/addresses", url.Values{"address": {"beta@steward.demo"}, "customer_id": {cust}, "domains": {"@Beta.example  beta.example.org"}}); p.status != http.StatusSeeOther {
		t.Fatalf("map an address with sender domains: %d %s", p.status, p.body)
	}
	if !strings.Contains(admin.get("/admin/incoming-mail").body, "beta.example, beta.example.org") {
		t.Error("the sender domains of the customer's address are not listed")
	}
	if _, err := s.app.DB.Exec(context.Background(), "UPDATE mail_in_addresses SET group_id = NULL WHERE address = 'network@steward.demo'"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(admin.get("/admin/incoming-mail").body, "Target deleted") {
		t.Error("an address whose group is gone is not marked as leading nowhere")
	}
	badSettings := admin.post("/admin/incoming-mail/settings", url.Values{"unknown_sender": {"hold"}, "rate_limit": {"lots"}, "rate_window_minutes": {"0"}, "max_recipients": {"50"}})
	for name, body := range map[string]string{"address": bad.body, "domains": badDomains.body, "settings": badSettings.body} {
		if m := doubleStop.FindString(body); m != "" {
			t.Errorf("the %s form's errors end in two full stops: %q", name, m)
		}
	}
	if badSettings.status != http.StatusUnprocessableEntity || !strings.Contains(badSettings.body, "must be a whole number") || !strings.Contains(badSettings.body, "between 1 and 1440 minutes") {
		t.Errorf("bad settings: %d", badSettings.status)
	}
	if p := admin.post("/admin/incoming-mail/settings", url.Values{"unknown_sender": {"hold"}, "rate_limit": {"30"}, "rate_window_minutes": {"10"}, "max_recipients": {"50"}}); p.status != http.StatusSeeOther {
		t.Fatalf("save settings: %d", p.status)
	}

	held := s.inMail(t, "stranger@outside.test", "Please call me", "My number is in the signature.")
	if held.Entry.Outcome != mailin.Held {
		t.Fatalf("stranger's message: %q", held.Entry.Outcome)
	}
	list := agent.get("/admin/incoming-mail/log?outcome=held")
	if !strings.Contains(list.body, "Please call me") || !strings.Contains(list.body, "/accept") {
		t.Fatal("the held list lacks the message or its Accept button")
	}
	id := strconv.FormatInt(held.Entry.ID, 10)
	wrong := agent.post("/admin/incoming-mail/log/"+id+"/accept", url.Values{"requester": {"nobody@nowhere.test"}})
	if wrong.status != http.StatusUnprocessableEntity || !strings.Contains(wrong.body, "No active account has the address nobody@nowhere.test") {
		t.Errorf("accept for a missing account: %d", wrong.status)
	}
	if m := doubleStop.FindString(wrong.body); m != "" {
		t.Errorf("the error of an accept for a missing account ends in two full stops: %q", m)
	}
	if p := agent.post("/admin/incoming-mail/log/"+id+"/accept", url.Values{"requester": {""}}); p.status != http.StatusSeeOther {
		t.Fatalf("accept: %d %s", p.status, p.body)
	}
	after := agent.get("/admin/incoming-mail/log")
	if !strings.Contains(after.body, "Accepted by") || !strings.Contains(after.body, "INC-") {
		t.Error("the accepted message does not show its ticket and who accepted it")
	}
}

// An agent reads a held message before deciding on it: who sent it to
// whom and when, why it is held, its text (never its HTML) and its
// files; the log counts the messages waiting.
func TestHeldMessageReadBeforeDeciding(t *testing.T) {
	s := newSite(t)
	admin := s.signedIn("admin")
	if p := admin.post("/admin/incoming-mail/settings", url.Values{"unknown_sender": {"hold"}, "rate_limit": {"30"}, "rate_window_minutes": {"10"}, "max_recipients": {"50"}}); p.status != http.StatusSeeOther {
		t.Fatalf("save settings: %d", p.status)
	}
	raw := "From: \"Sam Stranger\" <sam@outside.test>\r\nTo: desk@steward.demo\r\nSubject: Broken badge reader\r\nMessage-ID: <badge.1@outside.test>\r\n" +
		"Date: Tue, 03 Mar 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>The reader at <b>door 3</b> is dead.</p><script>alert(1)</script><img src=\"https://tracker.example/p.gif\">\r\n" +
		"--b\r\nContent-Type: application/pdf; name=photo.pdf\r\nContent-Disposition: attachment; filename=photo.pdf\r\n\r\n%PDF-1.4 fake\r\n--b--\r\n"
	res, err := s.app.Inbound.Take(context.Background(), mailin.Delivery{Raw: []byte(raw), Via: "smtp", EnvelopeFrom: "sam@outside.test"})
	if err != nil || res.Entry.Outcome != mailin.Held {
		t.Fatalf("take: %+v %v", res.Entry, err)
	}
	s.inMail(t, "other@outside.test", "Second stranger", "hello")
	path := "/admin/incoming-mail/log/" + strconv.FormatInt(res.Entry.ID, 10)

	for _, role := range []string{"requester", "auditor"} {
		if p := s.signedIn(role).get(path); p.status != http.StatusForbidden {
			t.Errorf("%s reads a held message: %d", role, p.status)
		}
	}
	agent := s.signedIn("agent")
	log := agent.get("/admin/incoming-mail/log")
	if !strings.Contains(log.body, ">Held (2)</a>") || !strings.Contains(log.body, "<title>Incoming mail log (2 held)") || !strings.Contains(log.body, `href="`+path+`"`) {
		t.Errorf("the log does not count the held messages or link to them")
	}
	p := agent.get(path)
	if p.status != http.StatusOK {
		t.Fatalf("the message: %d", p.status)
	}
	for _, want := range []string{"Sam Stranger &lt;sam@outside.test&gt;", "desk@steward.demo", "Broken badge reader", "2026", "door 3", "is dead",
		"photo.pdf", "bytes", "/accept", "/discard", `name="from" value="message"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the held message's page lacks %q", want)
		}
	}
	if !strings.Contains(p.body, mailin.ReasonWords(res.Entry.Reason)) {
		t.Errorf("the page does not say why the message is held (%s)", res.Entry.Reason)
	}
	if strings.Contains(p.body, "<b>door 3</b>") || strings.Contains(p.body, "alert(1)") || strings.Contains(p.body, "tracker.example") {
		t.Error("the page renders the message's HTML")
	}
	wrong := agent.post(path+"/accept", url.Values{"requester": {"nobody@nowhere.test"}, "from": {"message"}})
	if wrong.status != http.StatusUnprocessableEntity || !strings.Contains(wrong.body, "No active account has the address nobody@nowhere.test") || !strings.Contains(wrong.body, "door 3") {
		t.Errorf("a wrong requester on the message's page: %d; want the page again with the error", wrong.status)
	}
	if ok := agent.post(path+"/accept", url.Values{"requester": {""}, "from": {"message"}}); ok.status != http.StatusSeeOther {
		t.Fatalf("accept: %d", ok.status)
	}
	if after := agent.get(path); !strings.Contains(after.body, "INC-") || strings.Contains(after.body, "/accept") {
		t.Error("the accepted message's page does not lead to its ticket, or still offers Accept")
	}
	if l := agent.get("/admin/incoming-mail/log"); !strings.Contains(l.body, ">Held (1)</a>") {
		t.Error("the held count does not go down on accepting")
	}
}
