package mail

import (
	"context"

	"steward/internal/i18n"
	"steward/internal/jobs"
	"steward/internal/store"
	"time"
)

// digestItems bounds the notifications one digest message lists; more
// make a second message in the same run.
const digestItems = 100

// digestItem is one line of a digest.
type digestItem struct {
	Title, Text, When, Link string
	// Ratings are a survey's one-click links, as its own message has them.
	Ratings []rating
	RateURL string
}

// SendDigests is the job handler of DigestJob: each person whose
// notifications wait for a digest gets them in one message. Those read in
// Steward since are left out.
func (s *Service) SendDigests(ctx context.Context, _ jobs.Job) error {
	users, err := store.IDs(ctx, s.DB, `SELECT DISTINCT user_id FROM notifications WHERE mail_state = 'digest'
		ORDER BY user_id LIMIT 1000`)
	if err != nil {
		return err
	}
	for _, id := range users {
		for ctx.Err() == nil {
			n, err := s.digestOnce(ctx, id)
			if err != nil {
				return err
			}
			if n < digestItems {
				break
			}
		}
	}
	return ctx.Err()
}

// digestOnce gathers up to digestItems of one person's waiting
// notifications into one message and clears their marks, in one
// transaction; it reports how many it took.
func (s *Service) digestOnce(ctx context.Context, userID int64) (int, error) {
	lock := ""
	if s.DB.Dialect() == store.Postgres {
		lock = " FOR UPDATE OF n SKIP LOCKED"
	}
	var taken int
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		notes, readers, err := marked(ctx, tx, `SELECT n.id, n.user_id, n.kind, n.title, n.body, n.link, n.params, n.created_at,
			n.read_at IS NOT NULL, `+readerColumns+` FROM notifications n`+readerJoins+`
			WHERE n.mail_state = 'digest' AND n.user_id = ? ORDER BY n.id LIMIT ?`+lock, userID, digestItems)
		if err != nil || len(notes) == 0 {
			return err
		}
		taken = len(notes)
		r := readers[0]
		lang := languageOf(r.Prefs)
		tx18 := i18n.For(lang)
		var items []digestItem
		for _, n := range notes {
			if n.Read {
				continue
			}
			title, text := worded(tx18, n)
			item := digestItem{Title: title, Text: text, When: when(n.CreatedAt, r.Prefs), Link: s.link(n.Link)}
			if n.Kind == "survey" {
				var v noteView
				if err := s.ratingLinks(ctx, tx, tx18, r, n, &v); err != nil {
					return err
				}
				item.Ratings, item.RateURL = v.Ratings, v.RateURL
			}
			items = append(items, item)
		}
		if to, ok := r.address(); ok && len(items) > 0 {
			subject := "[Steward] " + tx18.T("mail.digest.subject", "Count", len(items))
			out, err := render(lang, "digest", subject, r.Name, s.link("/profile/mail"), struct{ Items []digestItem }{items})
			if err != nil {
				return err
			}
			if _, err := s.queue(ctx, tx, draft{Kind: "digest", UserID: r.ID, To: to, ToName: r.Name, rendered: out}, time.Now()); err != nil {
				return err
			}
		}
		for _, n := range notes {
			if _, err := tx.Exec(ctx, "UPDATE notifications SET mail_state = NULL WHERE id = ?", n.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return taken, err
}
