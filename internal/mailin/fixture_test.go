package mailin

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/config"
	"steward/internal/incident"
	"steward/internal/org"
	"steward/internal/record"
	"steward/internal/request"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// desk is a service desk taking mail: two customers, a support group,
// staff and requesters of both customers, and a live service.
type desk struct {
	t       testing.TB
	db      *store.DB
	s       *Service
	custA   int64
	custB   int64
	network int64 // a support group
	service int64
	p       map[string]*auth.Principal
}

const deskAddress = "desk@steward.test"

func newDesk(t testing.TB, e storetest.Engine) *desk {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	inc := incident.NewService(e.DB, 0)
	req := request.NewService(e.DB, 0)
	cfg := config.Config{MailFrom: "Service desk <" + deskAddress + ">", BaseURL: "https://steward.test"}
	s := NewService(e.DB, cfg, inc, req, log)
	s.Records = record.NewKernel(e.DB, 2<<20, inc.Kind(), req.Kind())
	d := &desk{t: t, db: e.DB, s: s, p: map[string]*auth.Principal{}}
	id := func(r org.Record, err error) int64 {
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	d.custA = id(org.Customers.Create(ctx, e.DB, audit.System, "Alpha"))
	d.custB = id(org.Customers.Create(ctx, e.DB, audit.System, "Beta"))
	d.network = id(org.Groups.Create(ctx, e.DB, audit.System, "Network"))
	for _, u := range []struct {
		key  string
		role auth.Role
		cust int64
	}{
		{"admin", auth.Admin, 0}, {"agent", auth.Agent, 0}, {"auditor", auth.Auditor, 0},
		{"alice", auth.Requester, d.custA}, {"amir", auth.Requester, d.custA}, {"bob", auth.Requester, d.custB},
	} {
		in := auth.NewUser{Email: u.key + "@example.com", Name: strings.ToUpper(u.key[:1]) + u.key[1:], Role: u.role, Password: "a-long-password"}
		if u.cust != 0 {
			c := u.cust
			in.CustomerID = &c
		}
		user, err := auth.CreateUser(ctx, e.DB, audit.System, in)
		if err != nil {
			t.Fatal(err)
		}
		d.p[u.key] = principalOf(user)
		d.p[u.key].Via = "" // the desk's people act in the browser

	}
	now := store.TS(time.Now())
	err := e.DB.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO services (name, status, criticality, created_at, updated_at)
			VALUES ('Workplace', 'live', 'medium', ?, ?) RETURNING id`, now, now).Scan(&d.service)
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// take processes raw as if it came by SMTP to the desk, its envelope
// sender being its From address as for most mail a relay passes on.
func (d *desk) take(raw string) Result {
	d.t.Helper()
	res, err := d.s.Take(context.Background(), Delivery{Raw: []byte(crlf(raw)), Via: "smtp", EnvelopeFrom: fromOf(raw), Recipients: []string{deskAddress}})
	if err != nil {
		d.t.Fatalf("take: %v", err)
	}
	return res
}

// fromOf is the From address of raw, or "" when it has none.
func fromOf(raw string) string {
	if m, err := Parse([]byte(crlf(raw))); err == nil {
		return m.From
	}
	return ""
}

// delivered is raw as a mailbox's server stores it: with the
// Return-Path it writes on delivery, here the From address.
func delivered(raw string) string {
	return "Return-Path: <" + fromOf(raw) + ">\n" + raw
}

// count runs a COUNT query.
func (d *desk) count(q string, args ...any) int {
	d.t.Helper()
	return storetest.Count(d.t, d.db, q, args...)
}

// incident loads the incident a result opened.
func (d *desk) incident(res Result) incident.Incident {
	d.t.Helper()
	if res.Entry.RecordKind != "incident" || res.Entry.RecordID == nil {
		d.t.Fatalf("no incident opened: %+v", res.Entry)
	}
	inc, err := d.s.Incidents.Get(context.Background(), d.p["admin"], *res.Entry.RecordID)
	if err != nil {
		d.t.Fatal(err)
	}
	return inc
}

// journal is an incident's journal as the admin reads it.
func (d *desk) journal(id int64) []incident.Entry {
	d.t.Helper()
	j, err := d.s.Incidents.Journal(context.Background(), d.p["admin"], id)
	if err != nil {
		d.t.Fatal(err)
	}
	return j
}

// attachments lists the files on a record: name and the comment they
// belong to (0 for the record).
func (d *desk) attachments(kind string, id int64) map[string]int64 {
	d.t.Helper()
	rows, err := d.db.Query(context.Background(), "SELECT filename, COALESCE(entry_id, 0) FROM attachments WHERE kind = ? AND record_id = ?", kind, id)
	if err != nil {
		d.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var name string
		var entry int64
		if err := rows.Scan(&name, &entry); err != nil {
			d.t.Fatal(err)
		}
		out[name] = entry
	}
	return out
}

// crlf writes a fixture's line ends as mail has them.
func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

// plainMail is a plain message from one address with a subject and a text.
func plainMail(from, subject, body string, extra ...string) string {
	h := "From: " + from + "\nTo: " + deskAddress + "\nSubject: " + subject + "\nMessage-ID: <" + randID() + "@example.com>\n" +
		"Date: Tue, 03 Mar 2026 10:00:00 +0000\nMIME-Version: 1.0\n"
	for _, x := range extra {
		h += x + "\n"
	}
	return h + "Content-Type: text/plain; charset=utf-8\n\n" + body + "\n"
}

var idSeq atomic.Int64

func randID() string { return fmt.Sprintf("m%d.%d", time.Now().UnixNano(), idSeq.Add(1)) }
