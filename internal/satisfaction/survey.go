package satisfaction

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/complaint"
	"steward/internal/domainerr"
	"steward/internal/store"
	"steward/internal/ticket"
)

// Survey is one requester's survey about one ticket.
type Survey struct {
	ID          int64       `json:"id"`
	TicketKind  ticket.Kind `json:"ticket_kind"`
	TicketID    int64       `json:"ticket_id"`
	Number      string      `json:"number"`
	Title       string      `json:"title"`
	RequesterID int64       `json:"requester_id"`
	SentAt      time.Time   `json:"sent_at"`
	ExpiresAt   time.Time   `json:"expires_at"`
	Rating      *int        `json:"rating"`
	Comment     string      `json:"comment"`
	AnsweredAt  *time.Time  `json:"answered_at"`
	// Complaint is the number of the complaint a low rating opened.
	Complaint string `json:"complaint,omitempty"`
	// Open is true while the survey waits for its answer and its ticket
	// is done (resolved, fulfilled or closed).
	Open bool `json:"open"`
	// Reopened says the ticket was reopened before it was rated: the
	// survey waits until it is done again, while its time runs.
	Reopened bool `json:"reopened,omitempty"`
}

// Link is where the ticket opens.
func (s Survey) Link() string {
	if s.TicketKind == ticket.Request {
		return "/requests/" + s.Number
	}
	return "/incidents/" + s.Number
}

// Stars lists 1..5 for the rating buttons.
func (Survey) Stars() []int { return []int{1, 2, 3, 4, 5} }

// MaxComment bounds an answer's comment.
const MaxComment = 2000

const surveyCols = `SELECT s.id, s.ticket_kind, s.ticket_id, COALESCE(i.title, r.title, ''), s.requester_id, s.sent_at,
	s.expires_at, s.rating, s.comment, s.answered_at, s.complaint_id, COALESCE(i.state, r.state, '')
	FROM satisfaction_surveys s
	LEFT JOIN incidents i ON s.ticket_kind = 'incident' AND i.id = s.ticket_id
	LEFT JOIN requests r ON s.ticket_kind = 'request' AND r.id = s.ticket_id`

func scanSurvey(row interface{ Scan(...any) error }, now time.Time) (Survey, error) {
	var s Survey
	var sent, expires, answered store.Time
	var cmp *int64
	var state string
	if err := row.Scan(&s.ID, &s.TicketKind, &s.TicketID, &s.Title, &s.RequesterID, &sent, &expires, &s.Rating,
		&s.Comment, &answered, &cmp, &state); err != nil {
		return s, store.ScanErr(err)
	}
	s.SentAt, s.ExpiresAt, s.AnsweredAt = sent.Time, expires.Time, answered.Ptr()
	s.Number = TicketNumber(s.TicketKind, s.TicketID)
	if cmp != nil {
		s.Complaint = complaint.FormatNumber(*cmp)
	}
	s.Reopened = s.AnsweredAt == nil && now.Before(s.ExpiresAt) && state != "" && state != ResolvedState(s.TicketKind) && state != "closed"
	s.Open = s.AnsweredAt == nil && now.Before(s.ExpiresAt) && !s.Reopened
	return s, nil
}

// TicketNumber formats a ticket's number.
func TicketNumber(k ticket.Kind, id int64) string {
	if k == ticket.Request {
		return fmt.Sprintf("REQ-%06d", id)
	}
	return fmt.Sprintf("INC-%06d", id)
}

// Get loads survey id for its requester; to anyone else it does not exist.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id int64) (Survey, error) {
	if !p.Can(PermAnswer) {
		return Survey{}, domainerr.ErrForbidden
	}
	sv, err := scanSurvey(s.DB.QueryRow(ctx, surveyCols+" WHERE s.id = ?", id), time.Now())
	if err != nil {
		return sv, err
	}
	if sv.RequesterID != p.UserID {
		return Survey{}, store.ErrNotFound
	}
	return sv, nil
}

// ForTicket is the survey of a ticket as p may see it on the ticket's
// page: its requester sees it open or answered; staff who read results
// see the answer once given. found is false when there is nothing to show.
func ForTicket(ctx context.Context, q store.Querier, p *auth.Principal, k ticket.Kind, id int64) (Survey, bool, error) {
	sv, err := scanSurvey(q.QueryRow(ctx, surveyCols+" WHERE s.ticket_kind = ? AND s.ticket_id = ?", string(k), id), time.Now())
	if errors.Is(err, store.ErrNotFound) {
		return Survey{}, false, nil
	} else if err != nil {
		return Survey{}, false, err
	}
	switch {
	case sv.RequesterID == p.UserID && p.Can(PermAnswer):
		return sv, sv.Open || sv.AnsweredAt != nil, nil
	case p.Can(PermRead) && sv.AnsweredAt != nil:
		return sv, true, nil
	}
	return Survey{}, false, nil
}

// Answer records the requester's rating of a ticket, from 1 to 5, with an
// optional comment; once. The ticket's requester alone answers: to anyone
// else the survey does not exist. A rating at or below the rules' low
// mark opens a complaint for the team lead of the ticket's group.
func (s *Service) Answer(ctx context.Context, p *auth.Principal, k ticket.Kind, ticketID int64, rating int, comment string) (Survey, error) {
	if !p.Can(PermAnswer) {
		return Survey{}, domainerr.ErrForbidden
	}
	var out Survey
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		now := time.Now().UTC().Truncate(time.Microsecond)
		sv, err := scanSurvey(tx.QueryRow(ctx, surveyCols+" WHERE s.ticket_kind = ? AND s.ticket_id = ?", string(k), ticketID), now)
		if errors.Is(err, store.ErrNotFound) {
			return s.noSurvey(ctx, tx, p, k, ticketID)
		} else if err != nil {
			return err
		}
		if sv.RequesterID != p.UserID {
			return store.ErrNotFound
		}
		if out, err = s.answer(ctx, tx, p, sv, rating, comment, now); err != nil {
			return err
		}
		return nil
	})
	return out, err
}

// AnswerSurvey is Answer by the survey's id, as the rating page sends it.
func (s *Service) AnswerSurvey(ctx context.Context, p *auth.Principal, id int64, rating int, comment string) (Survey, error) {
	sv, err := s.Get(ctx, p, id)
	if err != nil {
		return sv, err
	}
	return s.Answer(ctx, p, sv.TicketKind, sv.TicketID, rating, comment)
}

// noSurvey explains why a ticket has no survey to its requester, and
// hides the ticket from everyone else.
func (s *Service) noSurvey(ctx context.Context, q store.Querier, p *auth.Principal, k ticket.Kind, id int64) error {
	table := "incidents"
	if k == ticket.Request {
		table = "requests"
	}
	var requester *int64
	var state string
	err := store.ScanErr(q.QueryRow(ctx, "SELECT requester_id, state FROM "+table+" WHERE id = ?", id).Scan(&requester, &state))
	if err != nil {
		return err
	}
	if requester == nil || *requester != p.UserID {
		return store.ErrNotFound
	}
	number := TicketNumber(k, id)
	done := ResolvedState(k)
	if state != done && state != "closed" {
		return domainerr.Conflictf("no survey is open for %s: it is asked once the %s is %s, and it is %s now",
			number, k, done, strings.ReplaceAll(state, "_", " "))
	}
	return domainerr.Conflictf("no survey is open for %s: the survey rules did not ask about it", number)
}

func (s *Service) answer(ctx context.Context, tx *store.Tx, p *auth.Principal, sv Survey, rating int, comment string, now time.Time) (Survey, error) {
	v := domainerr.NewInvalid()
	if rating < 1 || rating > 5 {
		v.Add("rating", "must be a whole number from 1 (very poor) to 5 (very good)")
	}
	comment = strings.TrimSpace(comment)
	domainerr.Text(v, "comment", comment, false, MaxComment)
	if err := v.Err(); err != nil {
		return sv, err
	}
	if sv.AnsweredAt != nil {
		return sv, domainerr.Conflictf("%s was already rated %d of 5 on %s; a survey is answered once",
			sv.Number, *sv.Rating, sv.AnsweredAt.Format(time.DateOnly))
	}
	if sv.Reopened {
		return sv, domainerr.Conflictf("%s was reopened; it may be rated once it is %s again", sv.Number, ResolvedState(sv.TicketKind))
	}
	if !sv.Open {
		return sv, domainerr.Conflictf("the survey for %s closed on %s", sv.Number, sv.ExpiresAt.Format(time.DateOnly))
	}
	res, err := tx.Exec(ctx, `UPDATE satisfaction_surveys SET rating = ?, comment = ?, answered_at = ?
		WHERE id = ? AND answered_at IS NULL`, rating, comment, store.TS(now), sv.ID)
	if err != nil {
		return sv, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return sv, domainerr.Conflictf("%s was already rated; a survey is answered once", sv.Number)
	}
	sv.Rating, sv.Comment, sv.AnsweredAt, sv.Open = &rating, comment, &now, false
	rules, err := LoadRules(ctx, tx)
	if err != nil {
		return sv, err
	}
	if rating <= rules.LowRating && s.Complaints != nil {
		c, err := s.followUp(ctx, tx, rules, sv)
		if err != nil {
			return sv, err
		}
		sv.Complaint = c.Number
	}
	return sv, nil
}

// followUp raises the complaint of a low rating, owned by the team lead of
// the ticket's group when the rules name an active one.
func (s *Service) followUp(ctx context.Context, tx *store.Tx, rules Rules, sv Survey) (complaint.Complaint, error) {
	var customer, group *int64
	if err := store.ScanErr(tx.QueryRow(ctx, "SELECT customer_id, group_id FROM satisfaction_surveys WHERE id = ?", sv.ID).
		Scan(&customer, &group)); err != nil {
		return complaint.Complaint{}, err
	}
	var owner *int64
	if group != nil {
		if lead := rules.LeadOf(*group); lead != 0 {
			var active bool
			err := store.ScanErr(tx.QueryRow(ctx, "SELECT active FROM users WHERE id = ? AND role IN ('agent', 'admin')", lead).Scan(&active))
			if err == nil && active {
				owner = &lead
			} else if err != nil && !errors.Is(err, store.ErrNotFound) {
				return complaint.Complaint{}, err
			}
		}
	}
	requester := sv.RequesterID
	desc := fmt.Sprintf("%s rated %s %d of 5.", "The requester", sv.Number, *sv.Rating)
	if sv.Comment != "" {
		desc += "\n\n" + sv.Comment
	}
	c, err := s.Complaints.Raise(ctx, tx, nil, complaint.NewComplaint{
		Title:       cut(fmt.Sprintf("Low rating (%d of 5) on %s: %s", *sv.Rating, sv.Number, sv.Title), 200),
		Description: desc, CustomerID: customer, RequesterID: &requester, OwnerID: owner, Related: sv.Number, Source: "rating",
		Rating: *sv.Rating,
	})
	if err != nil {
		return c, err
	}
	_, err = tx.Exec(ctx, "UPDATE satisfaction_surveys SET complaint_id = ? WHERE id = ?", c.ID, sv.ID)
	return c, err
}

// cut shortens s to n characters, ending with an ellipsis when cut.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

func complaintNumber(id int64) string { return complaint.FormatNumber(id) }

// Score is the rating given, 0 before an answer.
func (s Survey) Score() int {
	if s.Rating == nil {
		return 0
	}
	return *s.Rating
}
