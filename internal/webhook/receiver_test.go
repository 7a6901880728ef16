package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"steward/internal/activity"
	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/incident"
	"steward/internal/store"
	"steward/internal/webhook"
)

// received is one request a receiver took.
type received struct {
	header http.Header
	raw    []byte
	body   struct {
		ID         int64           `json:"id"`
		Kind       string          `json:"kind"`
		At         time.Time       `json:"at"`
		Entity     string          `json:"entity"`
		EntityID   int64           `json:"entity_id"`
		Ref        string          `json:"ref"`
		Summary    string          `json:"summary"`
		Data       json.RawMessage `json:"data"`
		DeliveryID int64           `json:"delivery_id"`
	}
}

// receiver is a real HTTP server on loopback that keeps what it is sent
// and answers with the status refuse gives (200 when refuse is nil or
// answers 0).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received // answered 2xx
	tries  []received // every request
	refuse func(r received) int
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in received
		in.header = r.Header.Clone()
		in.raw, _ = io.ReadAll(r.Body)
		if err := json.Unmarshal(in.raw, &in.body); err != nil {
			t.Errorf("the receiver got a body that is not JSON: %v: %s", err, in.raw)
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.tries = append(rc.tries, in)
		status := 0
		if rc.refuse != nil {
			status = rc.refuse(in)
		}
		if status == 0 {
			rc.got = append(rc.got, in)
			w.Write([]byte(`{"thanks":true}`))
			return
		}
		w.WriteHeader(status)
		w.Write([]byte("not now"))
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) setRefuse(f func(r received) int) {
	rc.mu.Lock()
	rc.refuse = f
	rc.mu.Unlock()
}

func (rc *receiver) delivered() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// verify checks a request's signature the way the docs tell receivers
// to, with the standard library alone.
func verify(t *testing.T, r received, secret string) {
	t.Helper()
	ts := r.header.Get("X-Steward-Timestamp")
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(r.raw)
	want := "sha256=" + hex.EncodeToString(m.Sum(nil))
	if got := r.header.Get("X-Steward-Signature"); ts == "" || !hmac.Equal([]byte(got), []byte(want)) {
		t.Fatalf("signature %q does not verify with the secret (want %q, timestamp %q)", got, want, ts)
	}
}

// clock is a test's time, moved by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// world is a database with an administrator, the incident service
// writing the activity feed, and outbound webhooks on a test clock.
type world struct {
	db        *store.DB
	admin     *auth.Principal
	clock     *clock
	svc       *webhook.Service
	incidents *incident.Service
}

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	u, err := auth.CreateUser(t.Context(), db, audit.System, auth.NewUser{Email: "owner@hooks.test", Name: "Olive Owner", Role: auth.Admin, Password: "a-long-password"})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{db: db, admin: &auth.Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Role: auth.Admin},
		clock: &clock{t: time.Now().UTC().Truncate(time.Second)}}
	w.svc = webhook.NewService(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	w.svc.Now = w.clock.Now
	w.incidents = incident.NewService(db, 0)
	w.incidents.Observer = activity.Observer{}
	return w
}

func (w *world) subscribe(t *testing.T, url string, events ...string) webhook.Webhook {
	t.Helper()
	h, err := w.svc.Create(t.Context(), w.admin, webhook.NewWebhook{URL: url, Events: events, Description: "test receiver"})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (w *world) incident(t *testing.T, title string) incident.Incident {
	t.Helper()
	inc, err := w.incidents.Create(t.Context(), w.admin, incident.NewIncident{Title: title}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func (w *world) comment(t *testing.T, inc incident.Incident, text string) {
	t.Helper()
	if _, err := w.incidents.AddComment(t.Context(), w.admin, inc.ID, text, true, nil); err != nil {
		t.Fatal(err)
	}
}

func (w *world) deliver(t *testing.T) int {
	t.Helper()
	n, err := w.svc.DeliverDue(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}
