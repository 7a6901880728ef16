package satisfaction

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"steward/internal/domainerr"
	"steward/internal/store"
)

// A rating link (/surveys/r/{token}) stands for a survey's requester on
// that survey alone, so that one click in the survey's e-mail rates the
// ticket without signing in. The token is 32 random bytes; only its
// SHA-256 is kept. It works while the survey is open, and once rated for
// the comment that may follow, until the survey's closing date. Writing a
// new message for the same survey replaces it.

// Why a rating link does not rate.
var (
	// ErrRatingLink: no such link, a link replaced by a newer message, or
	// one whose requester's account is disabled.
	ErrRatingLink = errors.New("this rating link does not work: it may have been copied incompletely, or a newer message about the same ticket replaced it")
	// ErrAlreadyRated: the survey was answered, through this link or
	// another way.
	ErrAlreadyRated = errors.New("you already rated this ticket")
	// ErrSurveyClosed: the survey's time ran out before an answer.
	ErrSurveyClosed = errors.New("this survey has closed")
	// ErrCommented: the comment after a rating was already given.
	ErrCommented = errors.New("you already rated this ticket and left a comment")
)

// RatingPath is the address of a rating link, without the rating.
func RatingPath(token string) string { return "/surveys/r/" + token }

// tokenShape bounds what is hashed and looked up: a token is 43
// characters of URL-safe base64.
func tokenShape(token string) bool {
	if len(token) != 43 {
		return false
	}
	for _, r := range token {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// RatingLink makes the rating link of the survey a notification's link
// names (/surveys/{id}), for the notification's reader, in tx: the path
// of the link, or "" when the survey is not the reader's or no longer
// open, so that the message offers the signed-in page instead. Outgoing
// mail calls it as it writes a survey's message.
func (s *Service) RatingLink(ctx context.Context, tx *store.Tx, userID int64, link string) (string, error) {
	rest, ok := strings.CutPrefix(link, "/surveys/")
	id, err := strconv.ParseInt(rest, 10, 64)
	if !ok || err != nil || id <= 0 {
		return "", nil
	}
	now := time.Now()
	sv, err := scanSurvey(tx.QueryRow(ctx, surveyCols+" WHERE s.id = ?", id), now)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	} else if err != nil {
		return "", err
	}
	if sv.RequesterID != userID || !sv.Open {
		return "", nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	_, err = tx.Exec(ctx, `INSERT INTO survey_tokens (survey_id, token_hash, created_at) VALUES (?, ?, ?)
		ON CONFLICT (survey_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at`,
		id, hashToken(token), store.TS(now.UTC()))
	if err != nil {
		return "", err
	}
	return RatingPath(token), nil
}

// ByToken is the survey a rating link stands for, as its page shows it;
// ErrRatingLink when the link does not work.
func (s *Service) ByToken(ctx context.Context, token string) (Survey, error) {
	return surveyByToken(ctx, s.DB, token, time.Now())
}

func surveyByToken(ctx context.Context, q store.Querier, token string, now time.Time) (Survey, error) {
	if !tokenShape(token) {
		return Survey{}, ErrRatingLink
	}
	// The requester's account must still be active: a link is never more
	// than its requester could do signed in.
	sv, err := scanSurvey(q.QueryRow(ctx, surveyCols+` JOIN survey_tokens t ON t.survey_id = s.id
		JOIN users u ON u.id = s.requester_id AND u.active WHERE t.token_hash = ?`, hashToken(token)), now)
	if errors.Is(err, store.ErrNotFound) {
		return Survey{}, ErrRatingLink
	}
	return sv, err
}

// RateByToken records the rating given through a rating link, with an
// optional comment, once, as its requester: ErrAlreadyRated when the
// survey was answered, ErrSurveyClosed when its time ran out, a field
// error for a rating outside 1..5 or an overlong comment. A low rating
// raises its complaint as on the signed-in page.
func (s *Service) RateByToken(ctx context.Context, token string, rating int, comment string) (Survey, error) {
	var out Survey
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		now := time.Now().UTC().Truncate(time.Microsecond)
		sv, err := surveyByToken(ctx, tx, token, now)
		if err != nil {
			return err
		}
		switch {
		case sv.AnsweredAt != nil:
			out = sv
			return ErrAlreadyRated
		case !sv.Open:
			out = sv
			return ErrSurveyClosed
		}
		out, err = s.answer(ctx, tx, nil, sv, rating, comment, now)
		var conflict *domainerr.Conflict
		if errors.As(err, &conflict) {
			// Answered meanwhile, by another click or on the ticket's page.
			return ErrAlreadyRated
		}
		return err
	})
	return out, err
}

// CommentByToken adds the comment that may follow a rating given through
// the link, once, while the survey's time runs: ErrCommented when a
// comment was given, ErrSurveyClosed after the closing date, a field
// error for an empty or overlong comment.
func (s *Service) CommentByToken(ctx context.Context, token, comment string) (Survey, error) {
	var out Survey
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		now := time.Now().UTC().Truncate(time.Microsecond)
		sv, err := surveyByToken(ctx, tx, token, now)
		if err != nil {
			return err
		}
		out = sv
		switch {
		case sv.AnsweredAt == nil && !sv.Open:
			return ErrSurveyClosed
		case sv.AnsweredAt == nil:
			return domainerr.Field("rating", "choose a rating from 1 to 5 first")
		case sv.Comment != "":
			return ErrCommented
		case !now.Before(sv.ExpiresAt):
			return ErrSurveyClosed
		}
		comment = strings.TrimSpace(comment)
		v := domainerr.NewInvalid()
		domainerr.Text(v, "comment", comment, true, MaxComment)
		if err := v.Err(); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, "UPDATE satisfaction_surveys SET comment = ? WHERE id = ? AND comment = ''", comment, sv.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrCommented
		}
		out.Comment = comment
		return s.commentToComplaint(ctx, tx, sv, comment)
	})
	return out, err
}

// commentToComplaint carries a comment given after a low rating to the
// complaint that rating opened, so that it reaches whoever works it.
func (s *Service) commentToComplaint(ctx context.Context, tx *store.Tx, sv Survey, comment string) error {
	var cmp *int64
	if err := store.ScanErr(tx.QueryRow(ctx, "SELECT complaint_id FROM satisfaction_surveys WHERE id = ?", sv.ID).Scan(&cmp)); err != nil {
		return err
	}
	if cmp == nil || s.Complaints == nil {
		return nil
	}
	_, err := s.Complaints.CustomerWords(ctx, tx, *cmp, sv.RequesterID, comment, "rating")
	return err
}

// Commentable reports whether a rating link still takes the comment that
// may follow the rating.
func (s Survey) Commentable(now time.Time) bool {
	return s.AnsweredAt != nil && s.Comment == "" && now.Before(s.ExpiresAt)
}
