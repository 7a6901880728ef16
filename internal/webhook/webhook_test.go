package webhook_test

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/incident"
	"steward/internal/jobs"
	"steward/internal/notify"
	"steward/internal/store/storetest"
	"steward/internal/webhook"
)

// An incident raised and commented on reaches a subscribed receiver as
// two signed deliveries whose bodies say what happened; kinds it did not
// subscribe to do not reach it.
func TestIncidentReachesReceiverSigned(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e.DB)
		rc := newReceiver(t)
		h := w.subscribe(t, rc.URL+"/hooks", "record.created", "record.commented")
		if h.Secret == "" || len(h.Secret) < webhook.MinSecret {
			t.Fatalf("no generated secret in the answer to create: %+v", h)
		}

		inc := w.incident(t, "Printer on fire")
		w.deliver(t)
		got := rc.delivered()
		if len(got) != 1 {
			t.Fatalf("%d deliveries after one incident, want 1", len(got))
		}
		r := got[0]
		verify(t, r, h.Secret)
		b := r.body
		if b.Kind != "record.created" || b.Entity != "incident" || b.EntityID != inc.ID || b.Ref != inc.Number ||
			!strings.Contains(b.Summary, "Printer on fire") || b.ID == 0 || b.At.IsZero() || !strings.Contains(string(b.Data), `"title":"Printer on fire"`) {
			t.Fatalf("body does not describe the new incident: %s", r.raw)
		}
		if r.header.Get("X-Steward-Event") != "record.created" || r.header.Get("X-Steward-Delivery") != strconv.FormatInt(b.DeliveryID, 10) {
			t.Fatalf("headers: event %q delivery %q, body's delivery_id %d", r.header.Get("X-Steward-Event"), r.header.Get("X-Steward-Delivery"), b.DeliveryID)
		}
		if ts, _ := strconv.ParseInt(r.header.Get("X-Steward-Timestamp"), 10, 64); ts != w.clock.Now().Unix() {
			t.Fatalf("timestamp %d, want the send time %d", ts, w.clock.Now().Unix())
		}

		// A new title is record.changed, which it did not ask for.
		title := "Printer on fire, second floor"
		if _, err := w.incidents.Update(t.Context(), w.admin, inc.ID, incident.Patch{Title: &title}, 0); err != nil {
			t.Fatal(err)
		}
		w.comment(t, inc, "Fire brigade called")
		w.deliver(t)
		got = rc.delivered()
		if len(got) != 2 || got[1].body.Kind != "record.commented" || !strings.Contains(string(got[1].raw), "Fire brigade called") {
			t.Fatalf("after a change and a comment the receiver has %d deliveries, the second %s", len(got), lastRaw(got))
		}
		verify(t, got[1], h.Secret)

		log, _, err := w.svc.Deliveries(t.Context(), h.ID, webhook.LogFilter{})
		if err != nil || len(log) != 2 || log[0].State != "delivered" || log[0].Status != 200 || log[0].Response != `{"thanks":true}` || log[0].Attempts != 1 {
			t.Fatalf("delivery log: %+v %v", log, err)
		}
	})
}

func lastRaw(rs []received) string {
	if len(rs) == 0 {
		return "(none)"
	}
	return string(rs[len(rs)-1].raw)
}

// A receiver that fails the first attempts for one record gets that
// record's events late but in order, while another record's go on.
func TestOrderPerRecordUnderFailures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e.DB)
		rc := newReceiver(t)
		h := w.subscribe(t, rc.URL, "*")
		a, b := w.incident(t, "Record A"), w.incident(t, "Record B")
		refusals := 0
		rc.setRefuse(func(r received) int {
			if r.body.Ref == a.Number && refusals < 2 {
				refusals++
				return 503
			}
			return 0
		})
		w.comment(t, a, "A second")
		w.comment(t, b, "B second")
		w.comment(t, a, "A third")

		w.deliver(t)
		if got := refs(rc.delivered()); got != b.Number+" "+b.Number {
			t.Fatalf("while A fails, delivered %q, want B's two", got)
		}
		w.clock.Add(11 * time.Second) // past the first backoff
		w.deliver(t)
		if n := len(rc.delivered()); n != 2 {
			t.Fatalf("A's second attempt failed too, yet %d delivered", n)
		}
		log, _, _ := w.svc.Deliveries(t.Context(), h.ID, webhook.LogFilter{State: "pending"})
		if len(log) != 3 || log[2].Attempts != 2 || log[2].Status != 503 || log[2].Response != "not now" || log[1].Attempts != 0 {
			t.Fatalf("A's waiting deliveries: %+v", log)
		}
		w.clock.Add(21 * time.Second)
		w.deliver(t)
		got := rc.delivered()
		var texts []string
		for _, r := range got {
			if r.body.Ref == a.Number {
				texts = append(texts, r.body.Kind)
			}
		}
		if strings.Join(texts, ",") != "record.created,record.commented,record.commented" {
			t.Fatalf("A's events arrived as %v", texts)
		}
		var last int64
		for _, r := range got {
			if r.body.Ref == a.Number {
				if r.body.ID < last {
					t.Fatalf("A's entries out of order: %d after %d", r.body.ID, last)
				}
				last = r.body.ID
			}
		}
		if !strings.Contains(string(got[len(got)-1].raw), "A third") {
			t.Fatalf("A's last delivery is not its last comment: %s", got[len(got)-1].raw)
		}
	})
}

func refs(rs []received) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.body.Ref)
	}
	return strings.Join(out, " ")
}

// A receiver that keeps failing is paused and its owner told; events go
// on being collected for it, and resuming sends them in order.
func TestFailingReceiverPausedAndResumed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e.DB)
		w.svc.PauseAfter, w.svc.PauseMinAge = 3, time.Minute
		rc := newReceiver(t)
		rc.setRefuse(func(received) int { return 500 })
		h := w.subscribe(t, rc.URL, "record.created")
		first := w.incident(t, "Before the outage")

		for _, wait := range []time.Duration{0, 11 * time.Second, 21 * time.Second} {
			w.clock.Add(wait)
			w.deliver(t)
		}
		cur, _ := w.svc.Get(t.Context(), h.ID)
		if cur.State != webhook.StateFailing || cur.Failures != 3 {
			t.Fatalf("three failures within 30 s: state %s failures %d; it should fail on, not pause yet", cur.State, cur.Failures)
		}
		w.clock.Add(41 * time.Second)
		w.deliver(t)
		cur, _ = w.svc.Get(t.Context(), h.ID)
		if cur.State != webhook.StatePaused || !strings.Contains(cur.PauseReason, "4 failed attempts") {
			t.Fatalf("after four failures over a minute: %+v", cur)
		}
		notes, _, err := notify.List(t.Context(), e.DB, w.admin.UserID, notify.Filter{})
		if err != nil || len(notes) != 1 || notes[0].Kind != webhook.KindPaused || notes[0].Link != "/webhooks/"+strconv.FormatInt(h.ID, 10) ||
			!strings.Contains(notes[0].Title, rc.URL) || !strings.Contains(notes[0].Body, "500") {
			t.Fatalf("the owner's notifications: %+v %v", notes, err)
		}

		second := w.incident(t, "During the pause")
		tries := len(rc.tries)
		w.clock.Add(2 * time.Hour)
		if n := w.deliver(t); n != 0 || len(rc.tries) != tries {
			t.Fatalf("a paused receiver was sent %d deliveries", n)
		}
		if cur, _ = w.svc.Get(t.Context(), h.ID); cur.Waiting != 2 {
			t.Fatalf("%d deliveries wait for the paused receiver, want 2", cur.Waiting)
		}

		rc.setRefuse(nil)
		resume := false
		if _, err := w.svc.Update(t.Context(), w.admin, h.ID, webhook.Patch{Paused: &resume}, 0); err != nil {
			t.Fatal(err)
		}
		w.deliver(t)
		if got := refs(rc.delivered()); !strings.Contains(got, first.Number) || !strings.Contains(got, second.Number) || len(rc.delivered()) != 2 {
			t.Fatalf("after resuming the receiver got %q, want both waiting incidents", got)
		}
		cur, _ = w.svc.Get(t.Context(), h.ID)
		if cur.State != webhook.StateActive || cur.Failures != 0 || cur.Waiting != 0 {
			t.Fatalf("after resuming: %+v", cur)
		}
	})
}

// Wrong input is refused naming the field and what to fix.
func TestSubscriptionInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e.DB)
		ok := "https://hooks.example.com/steward"
		for _, c := range []struct {
			name  string
			in    webhook.NewWebhook
			field string
			says  string
		}{
			{"ftp", webhook.NewWebhook{URL: "ftp://x", Events: []string{"*"}}, "url", "http:// or https://"},
			{"javascript", webhook.NewWebhook{URL: "javascript:alert(1)", Events: []string{"*"}}, "url", "http:// or https://"},
			{"no host", webhook.NewWebhook{URL: "https:///path", Events: []string{"*"}}, "url", "names no host"},
			{"no address", webhook.NewWebhook{Events: []string{"*"}}, "url", "give the receiver's address"},
			{"credentials", webhook.NewWebhook{URL: "https://me:pw@hooks.example.com", Events: []string{"*"}}, "url", "user or password"},
			{"unknown kind", webhook.NewWebhook{URL: ok, Events: []string{"record.created", "record.deleted"}}, "events", `"record.deleted"`},
			{"no kinds", webhook.NewWebhook{URL: ok}, "events", "at least one"},
			{"short secret", webhook.NewWebhook{URL: ok, Events: []string{"*"}, Secret: "short"}, "secret", "at least 16"},
		} {
			_, err := w.svc.Create(t.Context(), w.admin, c.in)
			var inv *domainerr.Invalid
			if !errors.As(err, &inv) || !strings.Contains(inv.Fields[c.field], c.says) {
				t.Errorf("%s: %v, want %s to say %q", c.name, err, c.field, c.says)
			}
		}
		h, err := w.svc.Create(t.Context(), w.admin, webhook.NewWebhook{URL: "http://127.0.0.1:9/hook", Events: []string{"sla.breach", "record.created", "sla.breach"}})
		if err != nil || strings.Join(h.Events, ",") != "record.created,sla.breach" {
			t.Fatalf("a loopback receiver with repeated kinds: %+v %v", h, err)
		}
	})
}

// Only administrators keep webhooks.
func TestOnlyAdministratorsKeepWebhooks(t *testing.T) {
	w := newWorld(t, storetest.SQLite(t).DB)
	h := w.subscribe(t, "http://127.0.0.1:9/hook", "*")
	for _, role := range []auth.Role{auth.Agent, auth.Requester, auth.Auditor} {
		p := &auth.Principal{UserID: w.admin.UserID, Role: role}
		if _, err := w.svc.Create(t.Context(), p, webhook.NewWebhook{URL: "http://127.0.0.1:9/x", Events: []string{"*"}}); !errors.Is(err, domainerr.ErrForbidden) {
			t.Errorf("%s creates: %v", role, err)
		}
		if _, err := w.svc.Update(t.Context(), p, h.ID, webhook.Patch{RotateSecret: true}, 0); !errors.Is(err, domainerr.ErrForbidden) {
			t.Errorf("%s rotates: %v", role, err)
		}
		if _, err := w.svc.Ping(t.Context(), p, h.ID); !errors.Is(err, domainerr.ErrForbidden) {
			t.Errorf("%s sends a test: %v", role, err)
		}
		if err := w.svc.Delete(t.Context(), p, h.ID); !errors.Is(err, domainerr.ErrForbidden) {
			t.Errorf("%s deletes: %v", role, err)
		}
	}
}

// The secret is shown once: never by Get or List, never in the audit
// trail; a rotated one signs what follows.
func TestSecretShownOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e.DB)
		rc := newReceiver(t)
		chosen := "a-secret-of-my-own-choosing"
		h, err := w.svc.Create(t.Context(), w.admin, webhook.NewWebhook{URL: rc.URL, Events: []string{"*"}, Secret: chosen})
		if err != nil || h.Secret != chosen {
			t.Fatalf("create with a secret: %+v %v", h, err)
		}
		got, _ := w.svc.Get(t.Context(), h.ID)
		all, _ := w.svc.List(t.Context())
		if got.Secret != "" || !got.SecretSet || len(all) != 1 || all[0].Secret != "" {
			t.Fatalf("a read shows the secret: %+v %+v", got, all)
		}
		rotated, err := w.svc.Update(t.Context(), w.admin, h.ID, webhook.Patch{RotateSecret: true}, 0)
		if err != nil || rotated.Secret == "" || rotated.Secret == chosen {
			t.Fatalf("rotate: %+v %v", rotated, err)
		}
		given := "another-secret-given-by-me"
		if _, err := w.svc.Update(t.Context(), w.admin, h.ID, webhook.Patch{Secret: &given}, 0); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{chosen, rotated.Secret, given} {
			if n := storetest.Count(t, e.DB, `SELECT COUNT(*) FROM audit_log WHERE data LIKE ?`, "%"+s+"%"); n != 0 {
				t.Fatalf("the audit trail holds a secret in %d entries", n)
			}
		}
		if n := storetest.Count(t, e.DB, `SELECT COUNT(*) FROM audit_log WHERE entity = 'webhook' AND data LIKE '%"secret":"changed"%'`); n != 2 {
			t.Fatalf("%d audit entries say the secret changed, want 2", n)
		}
		w.incident(t, "Signed with the new secret")
		w.deliver(t)
		if d := rc.delivered(); len(d) != 1 {
			t.Fatalf("%d deliveries", len(d))
		} else {
			verify(t, d[0], given)
		}
	})
}

// A test delivery goes out at once and brings back the receiver's answer.
func TestPing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e.DB)
		rc := newReceiver(t)
		h := w.subscribe(t, rc.URL, "record.created")
		res, err := w.svc.Ping(t.Context(), w.admin, h.ID)
		if err != nil || !res.OK || res.Status != 200 || res.Response != `{"thanks":true}` {
			t.Fatalf("ping: %+v %v", res, err)
		}
		d := rc.delivered()
		if len(d) != 1 || d[0].body.Kind != webhook.KindPing || d[0].header.Get("X-Steward-Event") != "ping" || d[0].body.DeliveryID != res.DeliveryID {
			t.Fatalf("the receiver got %s", lastRaw(d))
		}
		verify(t, d[0], h.Secret)

		rc.setRefuse(func(received) int { return 404 })
		res, err = w.svc.Ping(t.Context(), w.admin, h.ID)
		if err != nil || res.OK || res.Status != 404 || !strings.Contains(res.Error, "404") || res.Response != "not now" {
			t.Fatalf("a refused ping: %+v %v", res, err)
		}
		if cur, _ := w.svc.Get(t.Context(), h.ID); cur.Failures != 0 {
			t.Fatalf("a failed test counts towards pausing: %d", cur.Failures)
		}
		log, _, _ := w.svc.Deliveries(t.Context(), h.ID, webhook.LogFilter{})
		if len(log) != 2 || log[0].State != "failed" || log[1].State != "delivered" {
			t.Fatalf("tests in the log: %+v", log)
		}
	})
}

// Two nodes reading the feed at once queue each entry once.
func TestDispatchOncePerEntry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e.DB)
		rc := newReceiver(t)
		before := w.incident(t, "Before the subscription")
		h := w.subscribe(t, rc.URL, "record.created")
		for i := range 40 {
			w.incident(t, "Incident "+strconv.Itoa(i))
		}
		other := webhook.NewService(e.DB, nil)
		var wg sync.WaitGroup
		for _, s := range []*webhook.Service{w.svc, other, w.svc, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.Dispatch(t.Context()); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if n := storetest.Count(t, e.DB, `SELECT COUNT(*) FROM webhook_deliveries WHERE webhook_id = ?`, h.ID); n != 40 {
			t.Fatalf("%d deliveries queued for 40 incidents", n)
		}
		if n := storetest.Count(t, e.DB, `SELECT COUNT(*) FROM webhook_deliveries WHERE ref = ?`, before.Number); n != 0 {
			t.Fatal("an incident from before the subscription was queued")
		}
	})
}

// Deliveries older than the retention leave the log.
func TestPurge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e.DB)
		rc := newReceiver(t)
		h := w.subscribe(t, rc.URL, "*")
		w.incident(t, "Old news")
		w.deliver(t)
		w.clock.Add(webhook.DefaultRetention - time.Hour)
		w.incident(t, "Recent news")
		w.deliver(t)
		w.clock.Add(2 * time.Hour)
		if err := w.svc.Purge(t.Context(), jobs.Job{}); err != nil {
			t.Fatal(err)
		}
		log, _, _ := w.svc.Deliveries(t.Context(), h.ID, webhook.LogFilter{})
		if len(log) != 1 || !strings.Contains(log[0].Ref, "INC") || storetest.Count(t, e.DB, `SELECT COUNT(*) FROM webhook_deliveries`) != 1 {
			t.Fatalf("after the purge the log holds %+v", log)
		}
	})
}
