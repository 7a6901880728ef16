package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"steward/internal/auth"
	"steward/internal/complaint"
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
// last 90 days how it went (most answered, mostly well), follows the low
// ratings up with complaints, and plans the service reviews of the
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
		lows := 0
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
			answered := sent.Add(time.Duration(1+rng.IntN(40)) * time.Hour)
			if answered.After(now) {
				answered = now
			}
			if _, err := tx.Exec(ctx, "UPDATE satisfaction_surveys SET rating = ?, comment = ?, answered_at = ? WHERE id = ?",
				rating, opts[rng.IntN(len(opts))], store.TS(answered), id); err != nil {
				return err
			}
			if rating > 2 || lows >= 2 || r.customer == nil {
				continue
			}
			lows++
			number := fmt.Sprintf("INC-%06d", r.id)
			c, err := complaints.Raise(ctx, tx, nil, complaint.NewComplaint{Title: fmt.Sprintf("Low rating (%d of 5) on %s: %s", rating, number, r.title),
				Description: "The requester rated " + number + " low.", CustomerID: r.customer, RequesterID: &r.requester,
				Related: number, Source: "rating"})
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "UPDATE satisfaction_surveys SET complaint_id = ? WHERE id = ?", c.ID, id); err != nil {
				return err
			}
		}
		return seedComplaintAndReviews(ctx, tx, complaints, slas, now)
	})
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
