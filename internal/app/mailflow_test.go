package app_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"net/smtp"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"steward/internal/app"
	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/config"
	"steward/internal/store/storetest"
)

// The whole mail flow against real servers, as people use it: a requester
// writes to the service desk, an agent answers through the API, the
// answer reaches the requester's mailbox (Mailpit) threaded, the
// requester's mail program replies, and the reply lands on the incident
// as the requester's comment without the quoted answer; nobody is mailed
// their own words; a chat tool subscribed to comments gets both, signed.

const (
	deskAddress  = "desk@example.test"
	hookSecret   = "chat-tool-shared-secret-0123456789"
	flowPassword = "a-long-password"
)

// mailpitServer is one test's Mailpit on loopback ports of its own.
type mailpitServer struct {
	smtpAddr, api string
	cmd           *exec.Cmd
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startMailpit starts Mailpit, or skips the test saying why, and stops
// it by its process id when the test ends.
func startMailpit(t *testing.T) *mailpitServer {
	t.Helper()
	bin := os.Getenv("STEWARD_TEST_MAILPIT")
	if bin == "" {
		t.Skip("the mail flow is not tested: STEWARD_TEST_MAILPIT is unset (set it to a mailpit binary)")
	}
	m := &mailpitServer{smtpAddr: freeAddr(t)}
	httpAddr := freeAddr(t)
	for httpAddr == m.smtpAddr { // two free ports, not the same one twice
		httpAddr = freeAddr(t)
	}
	m.api = "http://" + httpAddr
	m.cmd = exec.Command(bin, "--smtp", m.smtpAddr, "--listen", httpAddr, "--smtp-auth-accept-any", "--smtp-auth-allow-insecure",
		"--disable-version-check", "--quiet", "--smtp-disable-rdns")
	m.cmd.Stdout, m.cmd.Stderr = io.Discard, io.Discard
	if err := m.cmd.Start(); err != nil {
		t.Fatalf("start mailpit: %v", err)
	}
	t.Cleanup(func() { m.cmd.Process.Kill(); m.cmd.Wait() })
	waitUntil(t, "mailpit to answer", func() bool {
		res, err := http.Get(m.api + "/api/v1/messages")
		if err != nil {
			return false
		}
		res.Body.Close()
		c, err := net.Dial("tcp", m.smtpAddr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return m
}

// mpMessage is a message as Mailpit's API reads it.
type mpMessage struct {
	ID        string
	MessageID string
	To        []struct{ Name, Address string }
	Subject   string
	Text      string
}

func (m *mailpitServer) get(t *testing.T, path string, v any) {
	t.Helper()
	res, err := http.Get(m.api + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("mailpit %s: %v", path, err)
	}
}

// inbox is every message that arrived, oldest first, with its text.
func (m *mailpitServer) inbox(t *testing.T) []mpMessage {
	t.Helper()
	var list struct{ Messages []mpMessage }
	m.get(t, "/api/v1/messages?limit=100", &list)
	out := make([]mpMessage, 0, len(list.Messages))
	for i := len(list.Messages) - 1; i >= 0; i-- {
		var full mpMessage
		m.get(t, "/api/v1/message/"+list.Messages[i].ID, &full)
		out = append(out, full)
	}
	return out
}

// headers reads a message's header as it arrived.
func (m *mailpitServer) headers(t *testing.T, id string) netmail.Header {
	t.Helper()
	res, err := http.Get(m.api + "/api/v1/message/" + id + "/raw")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	msg, err := netmail.ReadMessage(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return msg.Header
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !ok(); {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// delivery is one webhook delivery as the chat tool received it.
type delivery struct {
	Event, Timestamp, Signature string
	Body                        []byte
}

// chatTool is a webhook receiver that keeps what it was sent.
type chatTool struct {
	mu  sync.Mutex
	got []delivery
	url string
}

func startChatTool(t *testing.T) *chatTool {
	c := &chatTool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		c.mu.Lock()
		c.got = append(c.got, delivery{Event: r.Header.Get("X-Steward-Event"), Timestamp: r.Header.Get("X-Steward-Timestamp"),
			Signature: r.Header.Get("X-Steward-Signature"), Body: body})
		c.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	c.url = srv.URL
	return c
}

func (c *chatTool) deliveries() []delivery {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]delivery(nil), c.got...)
}

// signedBySteward checks a delivery the way docs/webhooks.md tells a
// receiver to.
func signedBySteward(d delivery) bool {
	ts, err := strconv.ParseInt(d.Timestamp, 10, 64)
	if err != nil || time.Since(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		return false
	}
	mac := hmac.New(sha256.New, []byte(hookSecret))
	mac.Write([]byte(d.Timestamp + "."))
	mac.Write(d.Body)
	return hmac.Equal([]byte(d.Signature), []byte("sha256="+hex.EncodeToString(mac.Sum(nil))))
}

// desk is a serving Steward with its people.
type desk struct {
	t         *testing.T
	a         *app.App
	base      string
	inbound   string
	mailpit   *mailpitServer
	tokens    map[string]string
	ids       map[string]int64
	addresses map[string]string
}

// startDesk serves Steward over engine e as `steward serve` would with
// the given extra flags, sending to a Mailpit of its own; prepare, when
// set, adjusts the node before it serves.
func startDesk(t *testing.T, e storetest.Engine, prepare func(*app.App), extra ...string) *desk {
	t.Helper()
	mp := startMailpit(t)
	addr, inbound := freeAddr(t), freeAddr(t)
	var cfg config.Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.Server(fs)
	args := append([]string{"--addr", addr, "--base-url", "http://" + addr, "--job-interval", "50ms", "--log-level", "error",
		"--smtp-url", "smtp://" + mp.smtpAddr, "--mail-from", "Service desk <" + deskAddress + ">",
		"--inbound-smtp-addr", inbound}, extra...)
	if e.URL != "" {
		args = append(args, "--database-url", e.URL)
	} else {
		args = append(args, "--data", e.Dir)
	}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a := app.New(cfg, e.DB, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.Webhooks.Poll = 50 * time.Millisecond
	if prepare != nil {
		prepare(a)
	}
	d := &desk{t: t, a: a, base: "http://" + addr, inbound: inbound, mailpit: mp, tokens: map[string]string{}, ids: map[string]int64{},
		addresses: map[string]string{}}
	for _, u := range []struct {
		key, name string
		role      auth.Role
	}{{"admin", "Ada Admin", auth.Admin}, {"agent", "Alex Agent", auth.Agent}, {"rita", "Rita Requester", auth.Requester}} {
		user, err := auth.CreateUser(context.Background(), e.DB, audit.System, auth.NewUser{Email: u.key + "@example.test", Name: u.name,
			Role: u.role, Password: flowPassword})
		if err != nil {
			t.Fatal(err)
		}
		secret, _, err := auth.CreateToken(context.Background(), e.DB, audit.System, user.ID, "mail flow")
		if err != nil {
			t.Fatal(err)
		}
		d.tokens[u.key], d.ids[u.key], d.addresses[u.key] = secret, user.ID, user.Email
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan string, 1), make(chan error, 1)
	go func() { done <- a.Serve(ctx, func(addr string) { ready <- addr }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	waitUntil(t, "the SMTP listener", func() bool {
		c, err := net.Dial("tcp", inbound)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return d
}

// api calls the REST API as who and decodes the answer into out.
func (d *desk) api(who, method, path string, body any, want int, out any) {
	d.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, d.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+d.tokens[who])
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		d.t.Fatalf("%s %s as %s: %d, want %d: %s", method, path, who, res.StatusCode, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			d.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// sendSMTP hands a message to Steward's listener as the organisation's
// mail server would.
func sendSMTP(addr, from string, raw string) error {
	return smtp.SendMail(addr, nil, from, []string{deskAddress}, []byte(strings.ReplaceAll(raw, "\n", "\r\n")))
}

type flowIncident struct {
	ID          int64  `json:"id"`
	Number      string `json:"number"`
	Title       string `json:"title"`
	Source      string `json:"source"`
	RequesterID *int64 `json:"requester_id"`
}

type flowEntry struct {
	Kind     string `json:"kind"`
	AuthorID *int64 `json:"author_id"`
	Body     string `json:"body"`
}

func (d *desk) journal(ref string) []flowEntry {
	d.t.Helper()
	var j struct{ Items []flowEntry }
	d.api("agent", "GET", "/api/v1/incidents/"+ref+"/journal", nil, http.StatusOK, &j)
	return j.Items
}

func (d *desk) comments(ref string) []flowEntry {
	var out []flowEntry
	for _, e := range d.journal(ref) {
		if e.Kind == "comment" {
			out = append(out, e)
		}
	}
	return out
}

// settled waits until Steward has nothing left to mail and returns what
// arrived in Mailpit, which then holds every message Steward sent.
func (d *desk) settled() []mpMessage {
	d.t.Helper()
	ctx := context.Background()
	var sent int
	waitUntil(d.t, "outgoing mail to be sent", func() bool {
		var pending, queued int
		d.a.DB.QueryRow(ctx, "SELECT COUNT(*) FROM notifications WHERE mail_state = 'pending'").Scan(&pending)
		d.a.DB.QueryRow(ctx, "SELECT COUNT(*) FROM mail_outbox WHERE state <> 'sent'").Scan(&queued)
		d.a.DB.QueryRow(ctx, "SELECT COUNT(*) FROM mail_outbox WHERE state = 'sent'").Scan(&sent)
		return pending == 0 && queued == 0
	})
	var got []mpMessage
	waitUntil(d.t, "Mailpit to store what was sent", func() bool {
		got = d.mailpit.inbox(d.t)
		return len(got) >= sent
	})
	if len(got) != sent {
		d.t.Fatalf("Mailpit holds %d messages, Steward sent %d", len(got), sent)
	}
	// In the order Steward queued them: messages sent at once may reach
	// the server in either order.
	queued := map[string]int{}
	rows, err := d.a.DB.Query(ctx, "SELECT message_id FROM mail_outbox ORDER BY id")
	if err != nil {
		d.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			d.t.Fatal(err)
		}
		queued[strings.Trim(id, "<>")] = len(queued)
	}
	sort.SliceStable(got, func(i, j int) bool {
		return queued[strings.Trim(got[i].MessageID, "<>")] < queued[strings.Trim(got[j].MessageID, "<>")]
	})
	return got
}

// replyTo writes the reply a mail program makes to m: Re: subject,
// In-Reply-To the message's id, References its references and its id,
// the answer above the quoted original.
func replyTo(h netmail.Header, m mpMessage, from, answer string) string {
	var quoted strings.Builder
	for _, l := range strings.Split(strings.TrimRight(m.Text, "\n"), "\n") {
		quoted.WriteString(strings.TrimRight("> "+l, " ") + "\n")
	}
	refs := strings.TrimSpace(h.Get("References") + " " + h.Get("Message-ID"))
	date, _ := h.Date()
	return fmt.Sprintf(`From: Rita Requester <%s>
To: Service desk <%s>
Subject: Re: %s
Date: %s
Message-ID: <reply.%d@example.test>
In-Reply-To: %s
References: %s
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

%s

On %s, Service desk <%s> wrote:
%s`, from, deskAddress, m.Subject, time.Now().Format(time.RFC1123Z), time.Now().UnixNano(), h.Get("Message-ID"), refs,
		answer, date.Format("Mon, 2 Jan 2006 at 15:04"), deskAddress, quoted.String())
}

// mailFlow runs the flow with deliver handing the requester's messages
// to Steward (over SMTP, or into the polled mailbox).
func mailFlow(t *testing.T, d *desk, deliver func(from, raw string)) {
	rita := d.addresses["rita"]
	chat := startChatTool(t)
	var hook struct{ ID int64 }
	d.api("admin", "POST", "/api/v1/webhooks", map[string]any{"url": chat.url, "events": []string{"record.commented"},
		"secret": hookSecret, "description": "Service desk chat"}, http.StatusCreated, &hook)

	// A requester writes to the service desk.
	deliver(rita, fmt.Sprintf(`From: Rita Requester <%s>
To: Service desk <%s>
Subject: Printer on floor 2 jams
Date: %s
Message-ID: <first.%d@example.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

The printer by the kitchen jams on every second page.
`, rita, deskAddress, time.Now().Format(time.RFC1123Z), time.Now().UnixNano()))
	var inc flowIncident
	waitUntil(t, "the incident from the e-mail", func() bool {
		var list struct{ Items []flowIncident }
		d.api("agent", "GET", "/api/v1/incidents?requester_id="+strconv.FormatInt(d.ids["rita"], 10), nil, http.StatusOK, &list)
		if len(list.Items) == 1 {
			inc = list.Items[0]
		}
		return len(list.Items) == 1
	})
	if inc.Title != "Printer on floor 2 jams" || inc.RequesterID == nil || *inc.RequesterID != d.ids["rita"] || inc.Source != "email" {
		t.Fatalf("the e-mail opened %+v", inc)
	}

	// The agent takes it and answers the requester through the API.
	d.api("agent", "PATCH", "/api/v1/incidents/"+inc.Number, map[string]any{"assignee_id": d.ids["agent"]}, http.StatusOK, nil)
	answer := "Hello Rita, we replaced the fuser unit. Does it print cleanly now?"
	d.api("agent", "POST", "/api/v1/incidents/"+inc.Number+"/comments", map[string]any{"body": answer}, http.StatusCreated, nil)
	got := d.settled()
	// First the confirmation of the e-mail, with the number to reply to.
	if len(got) != 2 || got[0].To[0].Address != rita || got[0].Subject != "["+inc.Number+"] We received your message: Printer on floor 2 jams" ||
		len(got[1].To) != 1 || got[1].To[0].Address != rita {
		t.Fatalf("after the agent's answer Mailpit holds %+v, want the confirmation and one message to %s", got, rita)
	}
	m := got[1]
	h := d.mailpit.headers(t, m.ID)
	thread := "<steward." + inc.Number + "@example.test>"
	if !strings.HasPrefix(m.Subject, "["+inc.Number+"] ") || !strings.Contains(m.Text, answer) ||
		h.Get("In-Reply-To") != thread || !strings.Contains(h.Get("References"), thread) ||
		!strings.HasPrefix(h.Get("Message-ID"), "<steward."+inc.Number+".") || h.Get("Auto-Submitted") != "auto-generated" {
		t.Fatalf("the answer arrived as %q with headers %v and text\n%s", m.Subject, h, m.Text)
	}

	// The requester's mail program replies, quoting the answer.
	said := "Yes, it prints cleanly again. Thank you!"
	deliver(rita, replyTo(h, m, rita, said))
	waitUntil(t, "the reply on the incident", func() bool { return len(d.comments(inc.Number)) == 2 })
	reply := d.comments(inc.Number)[1]
	if reply.AuthorID == nil || *reply.AuthorID != d.ids["rita"] || reply.Body != said {
		t.Fatalf("the reply became a comment by %v: %q", reply.AuthorID, reply.Body)
	}

	// The agent is told of the reply; the requester is not mailed her own words.
	got = d.settled()
	if len(got) != 3 || got[2].To[0].Address != d.addresses["agent"] || !strings.Contains(got[2].Text, said) ||
		!strings.HasPrefix(got[2].Subject, "["+inc.Number+"] ") {
		t.Fatalf("after the reply Mailpit holds %d messages: %+v", len(got), got)
	}
	for _, msg := range got[2:] {
		for _, to := range msg.To {
			if to.Address == rita {
				t.Fatalf("the requester was mailed her own reply: %q", msg.Subject)
			}
		}
	}

	// The chat tool heard of both comments, signed.
	var hooks []delivery
	waitUntil(t, "both webhook deliveries", func() bool { hooks = chat.deliveries(); return len(hooks) >= 2 })
	want := []struct {
		author int64
		body   string
	}{{d.ids["agent"], answer}, {d.ids["rita"], said}}
	for i, hd := range hooks {
		var p struct {
			Kind string
			Ref  string
			Data struct {
				AuthorID int64 `json:"author_id"`
				Public   bool
				Body     string
			}
		}
		if err := json.Unmarshal(hd.Body, &p); err != nil {
			t.Fatal(err)
		}
		if !signedBySteward(hd) || hd.Event != "record.commented" || p.Kind != "record.commented" || p.Ref != inc.Number ||
			!p.Data.Public || i >= len(want) || p.Data.AuthorID != want[i].author || p.Data.Body != want[i].body {
			t.Fatalf("webhook delivery %d: %s %s\n%s", i+1, hd.Event, hd.Signature, hd.Body)
		}
	}
	tampered := hooks[1]
	tampered.Body = bytes.Replace(tampered.Body, []byte("Thank you"), []byte("No thanks"), 1)
	if signedBySteward(tampered) {
		t.Fatal("the signature check accepts a changed body")
	}

	rateFromMail(t, d, inc)
}

var ratingURL = regexp.MustCompile(`(http://\S+/surveys/r/[A-Za-z0-9_-]{43})\?rating=([1-5])`)

// rateFromMail resolves the incident; the requester's survey arrives
// with five one-click ratings; fetching one records nothing, the POST its
// page sends records it.
func rateFromMail(t *testing.T, d *desk, inc flowIncident) {
	d.api("agent", "PATCH", "/api/v1/incidents/"+inc.Number, map[string]any{"state": "resolved", "resolution_code": "fixed",
		"resolution_notes": "Fuser unit replaced."}, http.StatusOK, nil)
	// The requester hears of the resolution and is asked how it went;
	// nothing else is sent.
	got := d.settled()
	if len(got) != 5 || got[3].To[0].Address != d.addresses["rita"] || got[4].To[0].Address != d.addresses["rita"] {
		t.Fatalf("after the resolution Mailpit holds %d messages, want the three before, the resolution and the survey", len(got))
	}
	var survey *mpMessage
	for _, m := range got[3:] {
		if strings.HasPrefix(m.Subject, "["+inc.Number+"] How did we do?") {
			survey = &m
		}
	}
	if survey == nil {
		t.Fatalf("no survey reached the requester: %q, %q", got[3].Subject, got[4].Subject)
	}
	links := map[string]string{}
	base := ""
	for _, m := range ratingURL.FindAllStringSubmatch(survey.Text, -1) {
		links[m[2]], base = m[0], m[1]
	}
	if len(links) != 5 {
		t.Fatalf("the survey carries %d rating links:\n%s", len(links), survey.Text)
	}
	rated := func() *int {
		var r *int
		if err := d.a.DB.QueryRow(context.Background(), "SELECT rating FROM satisfaction_surveys WHERE ticket_id = ?", inc.ID).Scan(&r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	res, err := http.Get(links["5"])
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("opening the rating link: %v %v", res, err)
	}
	res.Body.Close()
	if rated() != nil {
		t.Fatal("opening the rating link recorded a rating")
	}
	req, _ := http.NewRequest("POST", base, strings.NewReader("rating=5"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", d.base)
	res, err = http.DefaultTransport.RoundTrip(req)
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sending the rating: %v %v", res, err)
	}
	res.Body.Close()
	if r := rated(); r == nil || *r != 5 {
		t.Fatalf("the survey holds %v after rating 5", r)
	}
	if n := len(d.settled()); n != 5 {
		t.Fatalf("rating sent mail: Mailpit holds %d messages", n)
	}
}

// TestMailFlow runs the flow through the SMTP listener, on every engine.
func TestMailFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := startDesk(t, e, nil)
		mailFlow(t, d, func(from, raw string) {
			if err := sendSMTP(d.inbound, from, raw); err != nil {
				t.Fatalf("the listener refused the message: %v", err)
			}
		})
	})
}
