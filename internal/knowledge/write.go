package knowledge

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/record"
	"steward/internal/store"
)

// Limits on what an article holds.
const (
	MaxTitle     = 200
	MaxBody      = 100_000
	MaxCustomers = 100
	MaxLinks     = 20
	// DateLayout is a review date: YYYY-MM-DD.
	DateLayout = "2006-01-02"
)

// Create writes a new article with its first version: a draft unless
// in.State asks for review, or for published from someone who may
// publish. Links name records the author must be able to see; anything
// wrong is refused before anything is stored.
func (s *Service) Create(ctx context.Context, p *auth.Principal, in Input) (Article, error) {
	if !p.Can(PermWrite) {
		return Article{}, domainerr.ErrForbidden
	}
	st := Draft
	if in.State != nil {
		st = *in.State
	}
	switch st {
	case Draft, Review:
	case Published:
		if !p.Can(PermPublish) {
			return Article{}, &domainerr.Refused{Message: "only an administrator publishes an article; create it as a draft or submit it for review"}
		}
	default:
		return Article{}, domainerr.Field("state", "must be draft, review or published")
	}
	v := domainerr.NewInvalid()
	if in.Title == nil || strings.TrimSpace(*in.Title) == "" {
		v.Add("title", "is required: a short question or task people would search for")
	}
	if in.Audience == nil {
		v.Add("audience", "is required: agents or requesters")
	}
	if st != Draft && (in.Body == nil || strings.TrimSpace(*in.Body) == "") {
		v.Add("body", "is required before the article goes to review")
	}
	a := Article{Audience: Requesters, CustomerIDs: []int64{}, OwnerID: &p.UserID}
	if in.Audience != nil {
		a.Audience = *in.Audience
	}
	title, body := "", ""
	if in.Title != nil {
		title = strings.TrimSpace(*in.Title)
	}
	if in.Body != nil {
		body = *in.Body
	}
	var links []record.Summary
	var linkKinds []*record.Kind
	now := s.now()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := s.checkFields(ctx, tx, &a, in, title, body, v); err != nil {
			return err
		}
		var err error
		if links, linkKinds, err = s.checkLinks(ctx, tx, p, in.Links, v); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if st == Published && a.ReviewDate == "" {
			a.ReviewDate = now.AddDate(1, 0, 0).Format(DateLayout)
		}
		if err := tx.QueryRow(ctx, `INSERT INTO kb_articles (title, audience, state, owner_id, review_date, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, title, string(a.Audience), string(st), a.OwnerID, optDate(a.ReviewDate),
			p.UserID, store.TS(now), store.TS(now)).Scan(&a.ID); err != nil {
			return store.ScanErr(err)
		}
		vid, err := insertVersion(ctx, tx, a.ID, 1, title, body, st, p.UserID, now)
		if err != nil {
			return err
		}
		col := "working_version_id"
		if st == Published {
			col = "current_version_id"
		}
		if _, err := tx.Exec(ctx, "UPDATE kb_articles SET "+col+" = ? WHERE id = ?", vid, a.ID); err != nil {
			return err
		}
		if err := writeCustomers(ctx, tx, a.ID, a.CustomerIDs); err != nil {
			return err
		}
		for i, l := range links {
			if err := addLink(ctx, tx, p, a.ID, linkKinds[i], l, now); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, p.Actor(), "create", "kb_article", a.ID, map[string]any{"title": title, "audience": a.Audience,
			"state": st, "owner_id": a.OwnerID, "review_date": a.ReviewDate, "customer_ids": a.CustomerIDs})
	})
	if err != nil {
		return Article{}, err
	}
	s.reindex(ctx, a.ID)
	return get(ctx, s.DB, a.ID)
}

func insertVersion(ctx context.Context, tx *store.Tx, articleID int64, n int, title, body string, st State, author int64, now time.Time) (int64, error) {
	var sub, pub, by any
	if st != Draft {
		sub = store.TS(now)
	}
	if st == Published {
		pub, by = store.TS(now), author
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO kb_versions (article_id, number, title, body, state, author_id, created_at, updated_at,
		submitted_at, published_by, published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		articleID, n, title, body, string(st), author, store.TS(now), store.TS(now), sub, by, pub).Scan(&id)
	return id, store.ScanErr(err)
}

// checkFields applies and checks the article's own fields of in onto a.
func (s *Service) checkFields(ctx context.Context, q store.Querier, a *Article, in Input, title, body string, v *domainerr.Invalid) error {
	if utf8.RuneCountInString(title) > MaxTitle {
		v.Add("title", "must be at most %d characters", MaxTitle)
	}
	if len(body) > MaxBody {
		v.Add("body", "must be at most %d characters", MaxBody)
	}
	if in.Audience != nil {
		if !in.Audience.Valid() {
			v.Add("audience", "must be agents or requesters")
		}
		a.Audience = *in.Audience
	}
	if in.ReviewDate != nil {
		was := a.ReviewDate
		a.ReviewDate = strings.TrimSpace(*in.ReviewDate)
		_, err := time.Parse(DateLayout, a.ReviewDate)
		switch {
		case a.ReviewDate == "":
		case err != nil:
			v.Add("review_date", "must be a date such as 2027-03-31")
		case a.ReviewDate != was && a.ReviewDate < s.today():
			// An article already overdue keeps its date through an edit;
			// a new date in the past would be overdue the moment it is read.
			v.Add("review_date", "review date %s is in the past: pick a future date, such as %s", a.ReviewDate, s.now().AddDate(1, 0, 0).Format(DateLayout))
		}
	}
	if in.OwnerID != nil {
		a.OwnerID = in.OwnerID
		if *in.OwnerID == 0 {
			a.OwnerID = nil
		} else if err := auth.CheckWorker(ctx, q, v, "owner_id", in.OwnerID); err != nil {
			return err
		}
	}
	if in.CustomerIDs != nil {
		a.CustomerIDs = uniq(*in.CustomerIDs)
		if len(a.CustomerIDs) > MaxCustomers {
			v.Add("customer_ids", "may name at most %d customers", MaxCustomers)
		}
		for _, id := range a.CustomerIDs {
			var n int
			if err := q.QueryRow(ctx, "SELECT COUNT(*) FROM customers WHERE id = ?", id).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				v.Add("customer_ids", "customer %d does not exist", id)
			}
		}
	}
	if len(a.CustomerIDs) > 0 && a.Audience != Requesters {
		v.Add("customer_ids", "only an article for requesters is limited to customers; choose the audience requesters or name no customer")
	}
	return nil
}

// checkLinks resolves the record numbers an article is to be linked to,
// each one the author may see.
func (s *Service) checkLinks(ctx context.Context, q store.Querier, p *auth.Principal, refs []string, v *domainerr.Invalid) ([]record.Summary, []*record.Kind, error) {
	if len(refs) == 0 {
		return nil, nil, nil
	}
	if len(refs) > MaxLinks {
		v.Add("links", "may name at most %d records", MaxLinks)
		return nil, nil, nil
	}
	kinds := s.kinds()
	if kinds == nil {
		v.Add("links", "records cannot be linked on this server")
		return nil, nil, nil
	}
	var out []record.Summary
	var ks []*record.Kind
	seen := map[string]bool{}
	for _, ref := range refs {
		k, sum, err := kinds.Find(ctx, q, p, ref)
		switch {
		case errors.Is(err, store.ErrNotFound):
			v.Add("links", "%s is not a record you can see; check the number or leave it out", strings.TrimSpace(ref))
			continue
		case err != nil:
			return nil, nil, err
		}
		if k.Name == KindName {
			v.Add("links", "link articles to tickets and other records, not to %s", sum.Number)
			continue
		}
		if !seen[sum.Number] {
			seen[sum.Number] = true
			out, ks = append(out, sum), append(ks, k)
		}
	}
	return out, ks, nil
}

// addLink relates the new article to a record inside tx, so that the
// article and its links are stored together or not at all.
func addLink(ctx context.Context, tx *store.Tx, p *auth.Principal, id int64, k *record.Kind, to record.Summary, now time.Time) error {
	fromKind, fromID, toKind, toID := KindName, id, to.Kind, to.ID
	if toKind < fromKind || (toKind == fromKind && toID < fromID) { // related links keep the lesser end first
		fromKind, fromID, toKind, toID = toKind, toID, fromKind, fromID
	}
	var linkID int64
	if err := tx.QueryRow(ctx, `INSERT INTO record_links (from_kind, from_id, type, to_kind, to_id, created_by, created_at)
		VALUES (?, ?, 'related', ?, ?, ?, ?) RETURNING id`, fromKind, fromID, toKind, toID, p.UserID, store.TS(now)).Scan(&linkID); err != nil {
		return store.ScanErr(err)
	}
	if err := k.Note(ctx, tx, p, to.ID, "link", "", "related "+Number(id), false); err != nil {
		return err
	}
	return audit.Record(ctx, tx, p.Actor(), "create", "record_link", linkID, map[string]any{"from": Number(id), "type": "related", "to": to.Number})
}

// Update changes an article: its title and body go to the working
// version (a new draft when only a published or retired version exists),
// its audience, customers, owner and review date to the article.
// ifVersion, when not 0, must be the version the caller saw.
func (s *Service) Update(ctx context.Context, p *auth.Principal, id int64, in Input, ifVersion int) (Article, error) {
	if !p.Can(PermWrite) {
		return Article{}, domainerr.ErrForbidden
	}
	if in.State != nil {
		return Article{}, domainerr.Field("state", "is set only when an article is created; use the moves (submit, publish, retire, ...)")
	}
	if in.Links != nil {
		return Article{}, domainerr.Field("links", "are given only when an article is created; add more through the article's links")
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := get(ctx, tx, id)
		if err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != cur.Version {
			return domainerr.ErrStale
		}
		return s.update(ctx, tx, p, cur, in)
	})
	if err != nil {
		return Article{}, err
	}
	s.reindex(ctx, id)
	return get(ctx, s.DB, id)
}

// update writes in (already checked for state and links) onto article cur.
func (s *Service) update(ctx context.Context, tx *store.Tx, p *auth.Principal, cur Article, in Input) error {
	now, id := s.now(), cur.ID
	next := cur
	v := domainerr.NewInvalid()
	title, body, err := s.workingText(ctx, tx, cur, in, v)
	if err != nil {
		return err
	}
	if err := s.checkFields(ctx, tx, &next, in, title, body, v); err != nil {
		return err
	}
	if err := v.Err(); err != nil {
		return err
	}
	readers := cur.currentID != nil
	if readers && !p.Can(PermPublish) && (next.Audience != cur.Audience || !sameIDs(next.CustomerIDs, cur.CustomerIDs)) {
		return &domainerr.Refused{Message: "changing who reads a published article is for an administrator"}
	}
	if in.Title != nil || in.Body != nil {
		if err := s.writeWorking(ctx, tx, p, cur, title, body, now); err != nil {
			return err
		}
	}
	if err := writeCustomers(ctx, tx, id, next.CustomerIDs); err != nil {
		return err
	}
	res, err := tx.Exec(ctx, `UPDATE kb_articles SET title = CASE WHEN current_version_id IS NULL THEN ? ELSE title END,
		audience = ?, owner_id = ?, review_date = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
		title, string(next.Audience), next.OwnerID, optDate(next.ReviewDate), store.TS(now), id, cur.Version)
	if err != nil {
		return store.Translate(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return domainerr.ErrStale
	}
	return audit.Record(ctx, tx, p.Actor(), "update", "kb_article", id, map[string]any{"title": title, "audience": next.Audience,
		"owner_id": next.OwnerID, "review_date": next.ReviewDate, "customer_ids": next.CustomerIDs, "text_changed": in.Title != nil || in.Body != nil})
}

// workingText is the title and body the working version will hold.
func (s *Service) workingText(ctx context.Context, q store.Querier, cur Article, in Input, v *domainerr.Invalid) (string, string, error) {
	var title, body string
	vid := cur.workingID
	if vid == nil {
		vid = cur.currentID
	}
	if vid != nil {
		if err := q.QueryRow(ctx, "SELECT title, body FROM kb_versions WHERE id = ?", *vid).Scan(&title, &body); err != nil {
			return "", "", err
		}
	}
	if in.Title != nil {
		title = strings.TrimSpace(*in.Title)
		if title == "" {
			v.Add("title", "is required: a short question or task people would search for")
		}
	}
	if in.Body != nil {
		body = *in.Body
	}
	return title, body, nil
}

// writeWorking puts the new text in the working version, making one when
// only the readers' version exists. A version in review changes only in
// the hands of someone who may publish it.
func (s *Service) writeWorking(ctx context.Context, tx *store.Tx, p *auth.Principal, cur Article, title, body string, now time.Time) error {
	if cur.workingID != nil {
		var st State
		if err := tx.QueryRow(ctx, "SELECT state FROM kb_versions WHERE id = ?", *cur.workingID).Scan(&st); err != nil {
			return err
		}
		if st == Review && !p.Can(PermPublish) {
			return &domainerr.Conflict{Message: "the version is in review; an administrator returns it to draft before it changes"}
		}
		_, err := tx.Exec(ctx, "UPDATE kb_versions SET title = ?, body = ?, author_id = ?, updated_at = ? WHERE id = ?",
			title, body, p.UserID, store.TS(now), *cur.workingID)
		return err
	}
	var n int
	if err := tx.QueryRow(ctx, "SELECT COALESCE(MAX(number), 0) FROM kb_versions WHERE article_id = ?", cur.ID).Scan(&n); err != nil {
		return err
	}
	vid, err := insertVersion(ctx, tx, cur.ID, n+1, title, body, Draft, p.UserID, now)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, "UPDATE kb_articles SET working_version_id = ? WHERE id = ?", vid, cur.ID)
	return err
}

// Move makes a move of the table: submit, return or publish the working
// version, retire or restore the one readers see.
func (s *Service) Move(ctx context.Context, p *auth.Principal, id int64, action string, ifVersion int) (Article, error) {
	act, ok := Actions[action]
	if !ok {
		return Article{}, domainerr.Field("action", "must be submit, return, publish, retire or restore")
	}
	if !p.Can(act.Perm) {
		if act.Perm == PermPublish && p.Can(PermWrite) {
			return Article{}, &domainerr.Refused{Message: "only an administrator may " + action + " an article; submit it for review instead"}
		}
		return Article{}, domainerr.ErrForbidden
	}
	now := s.now()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := get(ctx, tx, id)
		if err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != cur.Version {
			return domainerr.ErrStale
		}
		vid := cur.currentID
		if act.Working {
			vid = cur.workingID
		}
		if vid == nil {
			return &domainerr.Conflict{Message: fmt.Sprintf("there is no version to %s: %s", action, nothingTo(act))}
		}
		var from State
		var body string
		if err := tx.QueryRow(ctx, "SELECT state, body FROM kb_versions WHERE id = ?", *vid).Scan(&from, &body); err != nil {
			return err
		}
		to, ok := moveTo(from, action)
		if !ok {
			return &domainerr.Conflict{Message: fmt.Sprintf("a version in %s cannot be %s", from, pastTense(action))}
		}
		if action == "publish" && cur.ReviewDate != "" && cur.ReviewDate < s.today() {
			return domainerr.Field("review_date", "%s is in the past: edit the article and pick a future date before publishing it", cur.ReviewDate)
		}
		if action == "submit" && strings.TrimSpace(body) == "" {
			return domainerr.Field("body", "is empty: write the article before submitting it")
		}
		return s.applyMove(ctx, tx, p, cur, *vid, action, to, now)
	})
	if err != nil {
		return Article{}, err
	}
	s.reindex(ctx, id)
	return get(ctx, s.DB, id)
}

// moveTo is where action leads from state from, when the table has it.
func moveTo(from State, action string) (State, bool) {
	for _, mv := range Machine.Moves {
		if mv.From == string(from) && mv.Action == action && mv.By == "" {
			return State(mv.To), true
		}
	}
	return "", false
}

func (s *Service) applyMove(ctx context.Context, tx *store.Tx, p *auth.Principal, cur Article, vid int64, action string, to State, now time.Time) error {
	set, args := "state = ?, updated_at = ?", []any{string(to), store.TS(now)}
	switch action {
	case "submit":
		set, args = set+", submitted_at = ?", append(args, store.TS(now))
	case "publish":
		set, args = set+", published_at = ?, published_by = ?", append(args, store.TS(now), p.UserID)
	}
	if _, err := tx.Exec(ctx, "UPDATE kb_versions SET "+set+" WHERE id = ?", append(args, vid)...); err != nil {
		return err
	}
	current, working := cur.currentID, cur.workingID
	if action == "publish" {
		if current != nil {
			if _, err := tx.Exec(ctx, "UPDATE kb_versions SET state = 'superseded', updated_at = ? WHERE id = ?", store.TS(now), *current); err != nil {
				return err
			}
		}
		current, working = &vid, nil
	}
	state := to
	if current != nil && vid != *current {
		state = cur.State // a move of the working version leaves what readers see alone
	}
	review := cur.ReviewDate
	if action == "publish" && review == "" {
		review = now.AddDate(1, 0, 0).Format(DateLayout)
	}
	shown := current // the version whose title readers see
	if shown == nil {
		shown = working
	}
	_, err := tx.Exec(ctx, `UPDATE kb_articles SET state = ?, current_version_id = ?, working_version_id = ?, review_date = ?,
		title = COALESCE((SELECT title FROM kb_versions WHERE id = ?), title), updated_at = ?, version = version + 1 WHERE id = ?`,
		string(state), current, working, optDate(review), shown, store.TS(now), cur.ID)
	if err != nil {
		return err
	}
	return audit.Record(ctx, tx, p.Actor(), action, "kb_article", cur.ID, map[string]any{"version_id": vid, "to": to})
}

func nothingTo(a Action) string {
	if a.Working {
		return "no draft or review is being written; edit the article first"
	}
	return "the article has never been published"
}

func pastTense(action string) string {
	switch action {
	case "submit":
		return "submitted"
	case "return":
		return "returned"
	case "publish":
		return "published"
	case "retire":
		return "retired"
	}
	return "restored"
}

func writeCustomers(ctx context.Context, tx *store.Tx, id int64, ids []int64) error {
	if _, err := tx.Exec(ctx, "DELETE FROM kb_article_customers WHERE article_id = ?", id); err != nil {
		return err
	}
	for _, c := range ids {
		if _, err := tx.Exec(ctx, "INSERT INTO kb_article_customers (article_id, customer_id) VALUES (?, ?)", id, c); err != nil {
			return store.Translate(err)
		}
	}
	return nil
}

// today is the date review dates are compared with: a date before it is
// in the past.
func (s *Service) today() string { return s.now().Format(DateLayout) }

func optDate(d string) any { return store.OptDate(d) }

func uniq(ids []int64) []int64 {
	out := []int64{}
	seen := map[int64]bool{}
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func sameIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[int64]bool{}
	for _, x := range a {
		seen[x] = true
	}
	for _, x := range b {
		if !seen[x] {
			return false
		}
	}
	return true
}
