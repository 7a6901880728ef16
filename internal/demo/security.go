package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/infosec"
	"steward/internal/store"
)

// loadSecurity adds information security: a security team (Alex Agent and
// Jonas Berg; the other agents stay outside and see no security incident),
// four security incidents, one of them a personal-data breach whose 72
// hours are still running, the controls register decided for the whole of
// Annex A, and an advisory list that exposes some of the fleet's gateways
// and sensors.
func loadSecurity(ctx context.Context, db *store.DB) error {
	now := time.Now().UTC().Truncate(time.Second)
	ids := func(q string, args ...any) ([]int64, error) { return store.IDs(ctx, db, q, args...) }
	people, err := ids(`SELECT id FROM users WHERE email IN ('agent@steward.demo', 'jonas.berg@steward.demo', 'admin@steward.demo') ORDER BY email`)
	if err != nil || len(people) != 3 {
		return fmt.Errorf("demo security: the team's people: %v", err)
	}
	ada, alex, jonas := people[0], people[1], people[2]
	desk, err := ids(`SELECT id FROM incidents ORDER BY id DESC LIMIT 3`)
	if err != nil || len(desk) == 0 {
		return fmt.Errorf("demo security: desk incidents: %v", err)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		var team int64
		if err := tx.QueryRow(ctx, `INSERT INTO support_groups (name, security, created_at, updated_at) VALUES ('Security team', TRUE, ?, ?) RETURNING id`,
			store.TS(now), store.TS(now)).Scan(&team); err != nil {
			return err
		}
		for _, u := range []int64{alex, jonas} {
			if _, err := tx.Exec(ctx, `INSERT INTO group_members (group_id, user_id) VALUES (?, ?)`, team, u); err != nil {
				return err
			}
		}
		if err := securityIncidents(ctx, tx, now, alex, jonas, desk); err != nil {
			return err
		}
		if err := securityControls(ctx, tx, now, ada, alex, jonas); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.System, "update", "support_group", team, map[string]any{"security": true})
	})
	if err != nil {
		return err
	}
	svc := infosec.NewService(db, nil)
	admin := &auth.Principal{UserID: ada, Name: "Ada Admin", Role: auth.Admin}
	_, err = svc.ImportAdvisories(ctx, admin, strings.NewReader(demoAdvisories))
	return err
}

// demoAdvisories is the vendor bulletin the demo's operator imported.
const demoAdvisories = `id,product,affected,fixed,severity,published,summary
GWV-2026-014,IoT gateway,<4.1.5,4.1.5,high,2026-02-11,Management interface accepts an unsigned firmware image
GWV-2026-021,IoT gateway,4.2.0 - 4.2.3,4.2.4,medium,2026-05-02,Weak default cipher on the uplink
TH-SA-07,TH-200,1.x || 2.0 - 2.3.9,2.4.0,critical,2026-04-18,Hard-coded service password in the radio stack
PX-SA-02,PX-10,>=3.0 <3.2,3.2.0,medium,2026-03-30,Readings can be replayed within a minute
AQ-SA-11,AQ-5,<1.2,1.2.0,low,2025-11-20,Debug log reveals the device key on request
`

// securityIncidents writes the demo's security incidents with their
// journals, as the team worked them.
func securityIncidents(ctx context.Context, tx *store.Tx, now time.Time, alex, jonas int64, desk []int64) error {
	h := func(n int) time.Time { return now.Add(time.Duration(n) * time.Hour) }
	type sec struct {
		title, desc, state, c, i, a, personal, breach, reason, closure string
		aware                                                          time.Time
		decided, toldAuthority                                         *time.Time
		desk                                                           *int64
		owner                                                          int64
	}
	at := func(t time.Time) *time.Time { return &t }
	list := []sec{
		{title: "Malware on a field engineer's laptop", desc: "The endpoint agent quarantined a credential stealer; the laptop held a spreadsheet of customer contacts.",
			state: "recovered", c: "medium", i: "low", a: "low", personal: "yes", breach: infosec.BreachAuthority,
			reason: "Contact details of about 400 customers may have been read; the risk to them is real but limited.",
			aware:  h(-10 * 24), decided: at(h(-10*24 + 20)), toldAuthority: at(h(-10*24 + 40)), owner: jonas},
		{title: "Phishing mail with a credential-harvesting link", desc: "Reported by three staff; one entered a password, reset within the hour.",
			state: "closed", c: "low", i: "none", a: "none", personal: "no", closure: "Password reset, sender blocked, awareness note sent to all staff.",
			aware: h(-6 * 24), desk: &desk[len(desk)-1], owner: alex},
		{title: "Brute-force attempts on the partner API", desc: "Bursts of failed sign-ins from a hosting provider's range.",
			state: "triaged", c: "none", i: "none", a: "medium", personal: "unknown", aware: h(-30), desk: &desk[0], owner: alex},
		{title: "Customer export bucket readable from the internet", desc: "A storage bucket holding a nightly export of customer accounts allowed anonymous reads for an unknown time.",
			state: "contained", c: "high", i: "none", a: "none", personal: "yes", aware: h(-20), owner: alex},
	}
	for _, s := range list {
		var closed *time.Time
		if s.state == "closed" {
			closed = at(s.aware.Add(3 * 24 * time.Hour))
		}
		breach := s.breach
		if breach == "" {
			breach = infosec.BreachUndecided
		}
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO security_incidents (title, description, state, confidentiality, integrity, availability, personal_data,
			breach, breach_reason, breach_decided_at, aware_at, authority_notified_at, incident_id, owner_id, closure, created_by, created_at, updated_at, closed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			s.title, s.desc, s.state, s.c, s.i, s.a, s.personal, breach, s.reason, store.OptTS(s.decided), store.TS(s.aware),
			store.OptTS(s.toldAuthority), s.desk, s.owner, s.closure, s.owner, store.TS(s.aware.Add(time.Hour)), store.TS(s.aware.Add(2*time.Hour)),
			store.OptTS(closed)).Scan(&id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO security_incident_journal (security_incident_id, kind, author_id, author_name, body, changes, created_at)
			VALUES (?, 'created', ?, '', '', '[]', ?), (?, 'change', ?, '', '', ?, ?)`,
			id, s.owner, store.TS(s.aware.Add(time.Hour)), id, s.owner, `[{"field":"state","old":"reported","new":"`+s.state+`"}]`, store.TS(s.aware.Add(2*time.Hour))); err != nil {
			return err
		}
	}
	_, err := tx.Exec(ctx, `UPDATE security_incident_journal SET author_name = (SELECT name FROM users WHERE users.id = security_incident_journal.author_id)`)
	return err
}

// securityControls decides every Annex A control for the demo
// organisation: physical controls of premises it does not have are not
// applicable, most others are in place, some under way.
func securityControls(ctx context.Context, tx *store.Tx, now time.Time, ada, alex, jonas int64) error {
	notApplicable := map[string]string{
		"7.1":  "No data centre of our own: servers run in the hosting provider's certified facility.",
		"7.2":  "No data centre of our own: servers run in the hosting provider's certified facility.",
		"7.4":  "No data centre of our own; the offices hold no servers.",
		"7.11": "Utilities of the hosting facility are the provider's, covered by its contract.",
		"7.12": "Cabling of the hosting facility is the provider's, covered by its contract.",
		"8.30": "We do not have software developed for us by others.",
	}
	status := map[string]string{"5.7": "partial", "5.23": "partial", "5.30": "planned", "6.7": "partial", "8.8": "partial",
		"8.11": "planned", "8.12": "not_started", "8.16": "partial", "8.23": "planned", "8.29": "partial"}
	owners := []int64{ada, alex, jonas}
	for i, c := range infosec.AnnexA {
		app, just, st := "applicable", "", "implemented"
		if why, ok := notApplicable[c.Ref]; ok {
			app, just, st = "not_applicable", why, "not_started"
		} else if s, ok := status[c.Ref]; ok {
			st = s
		}
		if _, err := tx.Exec(ctx, `INSERT INTO security_controls (ref, applicability, justification, owner_id, status, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			c.Ref, app, just, owners[i%3], st, store.TS(now.AddDate(0, 0, -i%40))); err != nil {
			return err
		}
	}
	links := []struct{ ref, risk string }{{"6.3", "Phishing leads to mailbox takeover"}, {"8.7", "Ransomware encrypts file shares"},
		{"8.13", "Ransomware encrypts file shares"}, {"8.5", "Phishing leads to mailbox takeover"}}
	for _, l := range links {
		if _, err := tx.Exec(ctx, `INSERT INTO security_control_risks (control_ref, risk_id) SELECT ?, id FROM risks WHERE title = ?`, l.ref, l.risk); err != nil {
			return err
		}
	}
	var doc int64
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM documents WHERE title = 'Information security policy'`).Scan(&doc); err != nil {
		return err
	}
	evidence := [][3]string{{"8.8", "Advisory exposure of the fleet", "/vulnerabilities"}, {"8.32", "Change records", "/changes"},
		{"5.24", "Security incidents", "/security-incidents"}, {"5.9", "Configuration items", "/cis"}, {"8.6", "Capacity of the services", "/services"}}
	if doc != 0 {
		evidence = append(evidence, [3]string{"5.1", "Information security policy", fmt.Sprintf("DOC-%06d", doc)})
	}
	for _, e := range evidence {
		if _, err := tx.Exec(ctx, `INSERT INTO security_control_evidence (control_ref, label, target, created_at) VALUES (?, ?, ?, ?)`,
			e[0], e[1], e[2], store.TS(now)); err != nil {
			return err
		}
	}
	return nil
}
