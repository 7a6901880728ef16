// Package notify owns in-app notifications: short messages addressed to one
// user ("an approval waits for you", "your request is fulfilled"), written
// inside the transaction of the change they announce and read from the
// user's own list. Other processes (requests, service levels) add them;
// only the addressee reads them or marks them read. Each new notification
// is marked for mailing; the mail dispatcher (MailJob) takes the marked
// ones, whenever their transaction commits.
package notify

import (
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"steward/internal/jobs"
	"steward/internal/store"
)

// MailJob is the job that turns notifications marked for mailing into
// e-mail. A transaction that adds notifications enqueues it once, as it
// commits; outgoing mail runs it.
const MailJob = "mail.dispatch"

// Notification is one message to one user.
type Notification struct {
	ID        int64      `json:"id"`
	Kind      string     `json:"kind"`
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	Link      string     `json:"link"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at"`
	// Params are the values the notification was written from, for a page
	// that words it in its reader's language; nil when there are none.
	Params map[string]string `json:"-"`
}

// Limits on what a notification holds; longer text is cut, not refused,
// because a notification is derived from a change that already passed
// validation.
const (
	maxTitle = 200
	maxBody  = 1000
	maxLink  = 500
	// MaxLimit caps one page of a list.
	MaxLimit = 200
)

func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// Add addresses one notification to each of userIDs inside tx. Zero ids and
// repeats are skipped, so callers may pass approvers and members freely.
func Add(ctx context.Context, tx *store.Tx, userIDs []int64, kind, title, body, link string) error {
	return AddWith(ctx, tx, userIDs, kind, title, body, link, nil)
}

// AddWith is Add with the values title and body were written from, so that
// a page can word the notification in its reader's language; title and body
// stay as written, in English, for every other reader.
func AddWith(ctx context.Context, tx *store.Tx, userIDs []int64, kind, title, body, link string, params map[string]string) error {
	now := store.TS(time.Now())
	title, body, link = cut(title, maxTitle), cut(body, maxBody), cut(link, maxLink)
	var ps string
	if len(params) > 0 {
		buf, err := json.Marshal(params)
		if err != nil {
			return err
		}
		ps = string(buf)
	}
	seen := map[int64]bool{}
	for _, id := range userIDs {
		if id <= 0 || seen[id] {
			continue
		}
		seen[id] = true
		if _, err := tx.Exec(ctx, `INSERT INTO notifications (user_id, kind, title, body, link, params, created_at, mail_state)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')`, id, kind, title, body, link, ps, now); err != nil {
			return err
		}
	}
	if len(seen) > 0 {
		// Once per transaction, however many notifications it adds: the
		// dispatcher picks up every marked row, so one run is enough.
		tx.Collect(MailJob, nil, enqueueMail)
	}
	return nil
}

func enqueueMail(ctx context.Context, tx *store.Tx, _ []any) error {
	return jobs.EnqueueEarliest(ctx, tx, MailJob, "new", time.Now())
}

// Filter narrows List.
type Filter struct {
	Unread bool
	Before int64 // keyset: notifications with a smaller id (older)
	Limit  int
}

// List returns userID's notifications, newest first, and the id to pass as
// Before for the next page (0 on the last page).
func List(ctx context.Context, q store.Querier, userID int64, f Filter) ([]Notification, int64, error) {
	if f.Limit <= 0 || f.Limit > MaxLimit {
		f.Limit = 50
	}
	sql := "SELECT id, kind, title, body, link, params, created_at, read_at FROM notifications WHERE user_id = ?"
	args := []any{userID}
	if f.Unread {
		sql += " AND read_at IS NULL"
	}
	if f.Before > 0 {
		sql += " AND id < ?"
		args = append(args, f.Before)
	}
	sql += " ORDER BY id DESC LIMIT ?"
	args = append(args, f.Limit+1)
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Notification{}
	for rows.Next() {
		var n Notification
		var created, read store.Time
		var params string
		if err := rows.Scan(&n.ID, &n.Kind, &n.Title, &n.Body, &n.Link, &params, &created, &read); err != nil {
			return nil, 0, err
		}
		if params != "" {
			// Values that do not read leave the notification as written.
			_ = json.Unmarshal([]byte(params), &n.Params)
		}
		n.CreatedAt = created.Time
		if !read.IsZero() {
			t := read.Time
			n.ReadAt = &t
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	var next int64
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = out[f.Limit-1].ID
	}
	return out, next, nil
}

// Unread counts userID's unread notifications, up to 100 (a badge shows
// "99+" beyond that; counting further costs and tells nothing).
func Unread(ctx context.Context, q store.Querier, userID int64) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM notifications
		WHERE user_id = ? AND read_at IS NULL LIMIT 100) x`, userID).Scan(&n)
	return n, store.ScanErr(err)
}

// MarkRead marks one of userID's notifications read. Someone else's
// notification is store.ErrNotFound, as is one that does not exist; one
// already read stays as it was.
func MarkRead(ctx context.Context, db *store.DB, userID, id int64) (Notification, error) {
	var out Notification
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE notifications SET read_at = ? WHERE id = ? AND user_id = ? AND read_at IS NULL",
			store.TS(time.Now()), id, userID); err != nil {
			return err
		}
		var created, read store.Time
		err := tx.QueryRow(ctx, "SELECT id, kind, title, body, link, created_at, read_at FROM notifications WHERE id = ? AND user_id = ?",
			id, userID).Scan(&out.ID, &out.Kind, &out.Title, &out.Body, &out.Link, &created, &read)
		if err != nil {
			return store.ScanErr(err)
		}
		out.CreatedAt = created.Time
		t := read.Time
		out.ReadAt = &t
		return nil
	})
	return out, err
}

// MarkAllRead marks every unread notification of userID read and says how many.
func MarkAllRead(ctx context.Context, db *store.DB, userID int64) (int64, error) {
	var n int64
	err := db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL",
			store.TS(time.Now()), userID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
