package mail_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"steward/internal/app"
	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/config"
	"steward/internal/incident"
	"steward/internal/jobs"
	"steward/internal/store/storetest"
)

// mailpit is a Mailpit server of one test, on loopback ports of its own.
type mailpit struct {
	t                  testing.TB
	bin                string
	smtpPort, httpPort int
	args               []string
	cmd                *exec.Cmd
}

// needMailpit is the Mailpit binary, or skips the test saying why.
func needMailpit(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("STEWARD_TEST_MAILPIT")
	if bin == "" {
		t.Skip("delivery to a real SMTP server is not tested: STEWARD_TEST_MAILPIT is unset (set it to a mailpit binary)")
	}
	return bin
}

// freePorts finds n distinct free ports on loopback, holding each until
// all are found so that no two are the same.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// startMailpit starts Mailpit with extra arguments (TLS, authentication)
// and stops it when the test ends.
func startMailpit(t testing.TB, extra ...string) *mailpit {
	t.Helper()
	ports := freePorts(t, 2)
	m := &mailpit{t: t, bin: needMailpit(t), smtpPort: ports[0], httpPort: ports[1]}
	m.args = append([]string{"--smtp", "127.0.0.1:" + strconv.Itoa(m.smtpPort), "--listen", "127.0.0.1:" + strconv.Itoa(m.httpPort),
		"--disable-version-check", "--quiet", "--max", "5000", "--smtp-disable-rdns"}, extra...)
	m.start()
	t.Cleanup(m.stop)
	return m
}

func (m *mailpit) start() {
	m.t.Helper()
	m.cmd = exec.Command(m.bin, m.args...)
	var said bytes.Buffer // what it says when it cannot start
	m.cmd.Stdout, m.cmd.Stderr = io.Discard, &said
	if err := m.cmd.Start(); err != nil {
		m.t.Fatalf("start mailpit: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(m.api("/api/v1/messages"))
		if err == nil {
			res.Body.Close()
			if c, err := net.Dial("tcp", m.smtpAddr()); err == nil {
				c.Close()
				return
			}
		}
		if time.Now().After(deadline) {
			m.stop()
			m.t.Fatalf("mailpit did not come up: %v; it said: %s", err, said.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends this test's Mailpit by its process id.
func (m *mailpit) stop() {
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	m.cmd.Process.Kill()
	m.cmd.Wait()
	m.cmd = nil
}

func (m *mailpit) smtpAddr() string { return "127.0.0.1:" + strconv.Itoa(m.smtpPort) }
func (m *mailpit) smtpURL() string  { return "smtp://" + m.smtpAddr() }
func (m *mailpit) api(path string) string {
	return "http://127.0.0.1:" + strconv.Itoa(m.httpPort) + path
}

type mpAddress struct{ Name, Address string }

// mpMessage is a message as Mailpit's API reads it.
type mpMessage struct {
	ID        string
	MessageID string
	To        []mpAddress
	Subject   string
	Text      string
	HTML      string
}

func (m *mailpit) getJSON(t testing.TB, path string, v any) {
	t.Helper()
	res, err := http.Get(m.api(path))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("mailpit %s: %v", path, err)
	}
}

// messages lists what arrived, newest first.
func (m *mailpit) messages(t testing.TB) []mpMessage {
	t.Helper()
	var out struct{ Messages []mpMessage }
	m.getJSON(t, "/api/v1/messages?limit=5000", &out)
	return out.Messages
}

// message reads one message with its parts.
func (m *mailpit) message(t testing.TB, id string) mpMessage {
	t.Helper()
	var out mpMessage
	m.getJSON(t, "/api/v1/message/"+id, &out)
	return out
}

func (m *mailpit) raw(t testing.TB, id string) string {
	t.Helper()
	res, err := http.Get(m.api("/api/v1/message/" + id + "/raw"))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// waitFor waits until n messages arrived (Mailpit stores each a moment
// after it answered the SMTP transaction) and returns them.
func (m *mailpit) waitFor(t testing.TB, n int) []mpMessage {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := m.messages(t)
		if len(got) >= n || time.Now().After(deadline) {
			if len(got) != n {
				t.Fatalf("mailpit holds %d messages, want %d", len(got), n)
			}
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// site is a whole node over one engine, sending to a Mailpit, served on a
// loopback address that its links point at.
type site struct {
	t      testing.TB
	e      storetest.Engine
	app    *app.App
	url    string
	client *http.Client
	users  map[string]*auth.Principal
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// newSite builds the node; smtpURL "" leaves mail unconfigured.
func newSite(t testing.TB, e storetest.Engine, smtpURL string) *site {
	t.Helper()
	var mu sync.Mutex
	var h http.Handler = http.NotFoundHandler()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hh := h
		mu.Unlock()
		hh.ServeHTTP(w, r)
	}))
	srv.Start()
	t.Cleanup(srv.Close)
	cfg := config.Config{DataDir: e.Dir, DatabaseURL: e.URL, CookieSecure: "auto", LogLevel: "error", LogFormat: "text",
		AutoCloseAfter: 7 * 24 * time.Hour, BaseURL: srv.URL, SMTPURL: smtpURL}
	if smtpURL != "" {
		cfg.MailFrom = "Service desk <desk@steward.test>"
	}
	a := app.New(cfg, e.DB, discard)
	a.Mail.Backoff = func(int) time.Duration { return 0 }
	mu.Lock()
	h = a.Handler()
	mu.Unlock()
	s := &site{t: t, e: e, app: a, url: srv.URL, client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}, users: map[string]*auth.Principal{}}
	return s
}

// user creates an account and returns it as a principal.
func (s *site) user(key string, role auth.Role, name string) *auth.Principal {
	s.t.Helper()
	u, err := auth.CreateUser(context.Background(), s.e.DB, audit.System, auth.NewUser{Email: key + "@mail.test", Name: name, Role: role,
		Password: "a-long-password"})
	if err != nil {
		s.t.Fatal(err)
	}
	p := &auth.Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Role: role, GroupIDs: u.GroupIDs}
	s.users[key] = p
	return p
}

// incident raises an incident for requester, by agent.
func (s *site) incident(agent, requester *auth.Principal, title string) incident.Incident {
	s.t.Helper()
	inc, err := s.app.Incidents.Create(context.Background(), agent, incident.NewIncident{Title: title, RequesterID: &requester.UserID,
		Impact: "low", Urgency: "low"}, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return inc
}

func (s *site) comment(p *auth.Principal, inc incident.Incident, body string) {
	s.t.Helper()
	if _, err := s.app.Incidents.AddComment(context.Background(), p, inc.ID, body, true, nil); err != nil {
		s.t.Fatal(err)
	}
}

// mailOut runs the dispatcher and the sender once each, as the job queue
// would after the change committed.
func (s *site) mailOut() {
	s.t.Helper()
	ctx := context.Background()
	if err := s.app.Mail.Dispatch(ctx, jobs.Job{}); err != nil {
		s.t.Fatal(err)
	}
	if err := s.app.Mail.Deliver(ctx, jobs.Job{}); err != nil {
		s.t.Fatal(err)
	}
}

// states counts the outbox's messages by state.
func (s *site) states() map[string]int {
	s.t.Helper()
	c, err := s.app.Mail.Counts(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// get fetches path on the site with the given cookies.
func (s *site) get(path string, cookies ...*http.Cookie) (*http.Response, string) {
	s.t.Helper()
	req, _ := http.NewRequest("GET", s.url+path, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	return s.do(req)
}

func (s *site) do(req *http.Request) (*http.Response, string) {
	s.t.Helper()
	res, err := s.client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// post sends a form to path with the given cookies.
func (s *site) post(path string, form map[string]string, cookies ...*http.Cookie) (*http.Response, string) {
	s.t.Helper()
	values := url.Values{}
	for k, v := range form {
		values.Set(k, v)
	}
	req, _ := http.NewRequest("POST", s.url+path, strings.NewReader(values.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.url)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	return s.do(req)
}
