package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"steward/internal/auth"
	"steward/internal/complaint"
	"steward/internal/satisfaction"
	"steward/internal/servicereview"
	"steward/internal/sla"
	"steward/internal/store"
)

// surveyComments are what requesters wrote beside their ratings.
var surveyComments = map[int][]string{
	5: {"Fixed before my coffee got cold, thank you!", "Very friendly and quick.", "Clear updates all the way."},
	4: {"Good, though I had to chase once.", "Sorted out, thanks.", ""},
	3: {"It works now, but it took a while.", ""},
	2: {"Nobody told me it was on hold for two days."},
	1: {"Closed without asking me whether it worked."},
}

// loadSatisfaction asks the requesters of the incidents resolved in the
// last 90 days how it went (most answered, mostly well), follows every
// low rating up with its complaint, and plans the service reviews of the
// customers' agreements: one held last quarter, the next coming due.
func loadSatisfaction(ctx context.Context, db *store.DB, slas *sla.Service) error {
	rng := rand.New(rand.NewPCG(83, 2))
	complaints := complaint.NewService(db, nil)
	now := time.Now().UTC().Truncate(time.Second)
	type resolved struct {
		id, requester          int64
		customer, group, agent *int64
		service                *int64
		resolvedAt             store.Time
		title                  string
	}
	var list []resolved
	rows, err := db.Query(ctx, `SELECT id, requester_id, customer_id, group_id, assignee_id, service_id, resolved_at, title FROM incidents
		WHERE resolved_at IS NOT NULL AND requester_id IS NOT NULL AND state IN ('resolved', 'closed') ORDER BY id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var r resolved
		if err := rows.Scan(&r.id, &r.requester, &r.customer, &r.group, &r.agent, &r.service, &r.resolvedAt, &r.title); err != nil {
			rows.Close()
			return err
		}
		list = append(list, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	weights := []int{1, 2, 3, 3, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 4, 5, 3, 5, 2}
	return db.InTx(ctx, func(tx *store.Tx) error {
		var alex int64
		if err := tx.QueryRow(ctx, "SELECT id FROM users WHERE email = 'agent@steward.demo'").Scan(&alex); err != nil {
			return err
		}
		for _, r := range list {
			if rng.IntN(10) >= 8 { // one in five falls outside the sample
				continue
			}
			sent := r.resolvedAt.Time
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO satisfaction_surveys (ticket_kind, ticket_id, requester_id, customer_id, service_id,
				group_id, agent_id, sent_at, expires_at) VALUES ('incident', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				r.id, r.requester, r.customer, r.service, r.group, r.agent, store.TS(sent), store.TS(sent.AddDate(0, 0, 14))).Scan(&id); err != nil {
				return err
			}
			if rng.IntN(10) >= 7 { // three in ten do not answer
				continue
			}
			rating := weights[rng.IntN(len(weights))]
			opts := surveyComments[rating]
			comment := opts[rng.IntN(len(opts))]
			answered := sent.Add(time.Duration(1+rng.IntN(40)) * time.Hour)
			if answered.After(now) {
				answered = now
			}
			if _, err := tx.Exec(ctx, "UPDATE satisfaction_surveys SET rating = ?, comment = ?, answered_at = ? WHERE id = ?",
				rating, comment, store.TS(answered), id); err != nil {
				return err
			}
			if rating > satisfaction.DefaultRules().LowRating {
				continue
			}
			low := lowRating{survey: id, incident: r.id, requester: r.requester, customer: r.customer, rating: rating,
				comment: comment, title: r.title, answered: answered}
			if err := followUpLow(ctx, tx, complaints, low, alex, now); err != nil {
				return err
			}
		}
		return seedComplaintAndReviews(ctx, tx, complaints, slas, now)
	})
}

// lowRating is a demo rating low enough to open a complaint.
type lowRating struct {
	survey, incident, requester int64
	customer                    *int64
	rating                      int
	comment, title              string
	answered                    time.Time
}

// lowReplies are the desk's answers to the demo's low ratings, by rating.
var lowReplies = map[int][2]string{
	1: {"We are sorry the incident was closed before you could check the fix. Agents now ask you to confirm before they resolve.",
		"The requester confirmed the fix; agents confirm with the requester before resolving."},
	2: {"We are sorry nobody told you the incident was on hold. You now get a message with the reason whenever a ticket waits.",
		"The hold message is sent; the requester accepted the explanation."},
}

// followUpLow opens the complaint a low rating opens, as the survey does,
// dated when the rating was given and, as time passed, investigated,
// answered and closed by the agent: the older the rating, the further on.
func followUpLow(ctx context.Context, tx *store.Tx, complaints *complaint.Service, low lowRating, alex int64, now time.Time) error {
	number := fmt.Sprintf("INC-%06d", low.incident)
	desc := fmt.Sprintf("The requester rated %s %d of 5.", number, low.rating)
	if low.comment != "" {
		desc += "\n\n" + low.comment
	}
	c, err := complaints.Raise(ctx, tx, nil, complaint.NewComplaint{Title: fmt.Sprintf("Low rating (%d of 5) on %s: %s", low.rating, number, low.title),
		Description: desc, CustomerID: low.customer, RequesterID: &low.requester, OwnerID: &alex, Related: number, Source: "rating", Rating: low.rating})
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "UPDATE satisfaction_surveys SET complaint_id = ? WHERE id = ?", c.ID, low.survey); err != nil {
		return err
	}
	at := low.answered
	target := at.AddDate(0, 0, complaint.DefaultTargetDays).Format(time.DateOnly)
	if _, err := tx.Exec(ctx, "UPDATE complaints SET created_at = ?, updated_at = ?, target_on = ? WHERE id = ?",
		store.TS(at), store.TS(at), target, c.ID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "UPDATE complaint_journal SET created_at = ? WHERE complaint_id = ?", store.TS(at), c.ID); err != nil {
		return err
	}
	age := now.Sub(at)
	if age < 2*24*time.Hour {
		return nil // just received
	}
	reply := lowReplies[low.rating]
	steps := []struct {
		after          time.Duration
		state, from    complaint.State
		set            string
		args           []any
		response, done bool
	}{
		{after: 24 * time.Hour, from: complaint.Received, state: complaint.Investigating,
			set: "investigation = ?", args: []any{"Read the ticket's history with the agent who resolved it."}},
		{after: 4 * 24 * time.Hour, from: complaint.Investigating, state: complaint.Responded,
			set: "response = ?, responded_at = ?", response: true},
		{after: 7 * 24 * time.Hour, from: complaint.Responded, state: complaint.Closed,
			set: "closure = ?, accepted = ?, closed_at = ?", done: true},
	}
	for _, st := range steps {
		when := at.Add(st.after)
		if when.After(now) {
			break
		}
		args, changes := st.args, []complaint.Change{{Field: "state", Old: string(st.from), New: string(st.state)}}
		switch {
		case st.response:
			args = []any{reply[0], store.TS(when)}
			changes = append(changes, complaint.Change{Field: "response", New: reply[0]})
		case st.done:
			args = []any{reply[1], true, store.TS(when)}
			changes = append(changes, complaint.Change{Field: "closure", New: reply[1]}, complaint.Change{Field: "accepted", New: "yes"})
		default:
			changes = append(changes, complaint.Change{Field: "investigation", New: args[0].(string)})
		}
		if _, err := tx.Exec(ctx, "UPDATE complaints SET state = ?, "+st.set+", updated_at = ?, version = version + 1 WHERE id = ?",
			append(append([]any{string(st.state)}, args...), store.TS(when), c.ID)...); err != nil {
			return err
		}
		raw, _ := json.Marshal(changes)
		if _, err := tx.Exec(ctx, `INSERT INTO complaint_journal (complaint_id, kind, author_id, author_name, body, changes, created_at)
			VALUES (?, 'change', ?, 'Alex Agent', '', ?, ?)`, c.ID, alex, string(raw), store.TS(when)); err != nil {
			return err
		}
	}
	return nil
}

// seedComplaintAndReviews adds a complaint being investigated and the
// service review of each customer's SLA: last quarter's held, with its
// minutes and actions, and the next coming due within the week.
func seedComplaintAndReviews(ctx context.Context, tx *store.Tx, complaints *complaint.Service, slas *sla.Service, now time.Time) error {
	var anna, cust, alex int64
	if err := tx.QueryRow(ctx, "SELECT id, customer_id FROM users WHERE email = 'anna.lind@contoso.example'").Scan(&anna, &cust); err != nil {
		return err
	}
	if err := tx.QueryRow(ctx, "SELECT id FROM users WHERE email = 'agent@steward.demo'").Scan(&alex); err != nil {
		return err
	}
	p := &auth.Principal{UserID: anna, Name: "Anna Lind", Role: auth.Requester, CustomerID: cust}
	c, err := complaints.Raise(ctx, tx, p, complaint.NewComplaint{Title: "Invoices for October were sent to the wrong address",
		Description: "Our finance team never got them and we were sent a reminder with a late fee.", CustomerID: &cust, RequesterID: &anna,
		OwnerID: &alex, Source: "requester"})
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE complaints SET state = 'investigating', investigation = ? WHERE id = ?`,
		"The billing contact on the account is the one from before the merger.", c.ID); err != nil {
		return err
	}
	reviews := &servicereview.Service{SLA: slas}
	agreements, err := store.IDs(ctx, tx, "SELECT id FROM agreements WHERE kind = 'sla' AND customer_id IS NOT NULL ORDER BY id")
	if err != nil {
		return err
	}
	admin := &auth.Principal{UserID: alex, Name: "Alex Agent", Role: auth.Agent}
	for i, id := range agreements {
		due := now.AddDate(0, 0, 3+2*i)
		if err := reviews.Seed(ctx, tx, admin, id, due, 3, []servicereview.NewAction{
			{Title: "Publish planned maintenance two weeks ahead", OwnerID: &alex, DueOn: due.AddDate(0, -2, 0).Format(time.DateOnly)},
			{Title: "Review the on-hold reasons used for this customer", OwnerID: &alex, DueOn: due.AddDate(0, 0, -1).Format(time.DateOnly)},
		}, "Went through last quarter's incidents and the two low ratings. The customer asked for earlier notice of maintenance."); err != nil {
			return err
		}
	}
	return nil
}
