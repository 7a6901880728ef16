package mail

import (
	"context"
	"encoding/json"
	"errors"
	htmltemplate "html/template"
	netmail "net/mail"
	"strconv"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/i18n"
	"steward/internal/jobs"
	"steward/internal/store"
)

// dispatchBatch bounds the notifications one transaction of the
// dispatcher takes.
const dispatchBatch = 250

// note is a notification marked for mailing.
type note struct {
	ID        int64
	UserID    int64
	Kind      string
	Title     string
	Body      string
	Link      string
	Params    map[string]string
	CreatedAt time.Time
	Read      bool
}

// reader is the person a notification is for, as mail needs them.
type reader struct {
	ID       int64
	Email    string
	Name     string
	Role     auth.Role
	Active   bool
	Prefs    auth.Preferences
	Settings Settings
	// SignsIn is true when the person can sign in to follow a link: a
	// local password, or an account linked to the organisation's sign-in.
	SignsIn bool
}

// address is the reader's address, and whether they can be mailed at
// all: active, with an address that reads as one and holds nothing that
// could break out of a header.
func (r reader) address() (string, bool) {
	if !r.Active || !plainAddress(r.Email) {
		return "", false
	}
	return r.Email, true
}

// plainAddress reports whether s is a bare e-mail address and nothing
// else: no name, no comment, nothing that could end a header.
func plainAddress(s string) bool {
	if s == "" || len(s) > 254 || headerText(s, 254) != s {
		return false
	}
	a, err := netmail.ParseAddress(s)
	return err == nil && a.Address == s
}

// readerColumns read a reader joined as u, with their preferences (pr) and
// mail settings (ms).
const readerColumns = `u.id, u.email, u.name, u.role, u.active, COALESCE(pr.time_zone, ''), COALESCE(pr.locale, ''),
	COALESCE(pr.language, ''), COALESCE(ms.digest, FALSE), COALESCE(ms.off, ''),
	u.password_hash <> '' OR EXISTS (SELECT 1 FROM identity_links il WHERE il.user_id = u.id)`

const readerJoins = ` JOIN users u ON u.id = n.user_id LEFT JOIN user_preferences pr ON pr.user_id = u.id
	LEFT JOIN mail_settings ms ON ms.user_id = u.id`

// Dispatch is the job handler of notify.MailJob. It takes the
// notifications marked for mailing, in batches, each in one transaction
// that also clears their mark: a notification is taken once, and one
// whose transaction commits late is still marked when the next run looks.
func (s *Service) Dispatch(ctx context.Context, _ jobs.Job) error {
	for ctx.Err() == nil {
		n, err := s.dispatchOnce(ctx)
		if err != nil || n < dispatchBatch {
			return err
		}
	}
	return ctx.Err()
}

func (s *Service) dispatchOnce(ctx context.Context) (int, error) {
	lock := ""
	if s.DB.Dialect() == store.Postgres {
		lock = " FOR UPDATE OF n SKIP LOCKED"
	}
	var taken int
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		notes, readers, err := marked(ctx, tx, `SELECT n.id, n.user_id, n.kind, n.title, n.body, n.link, n.params, n.created_at,
			n.read_at IS NOT NULL, `+readerColumns+` FROM notifications n`+readerJoins+`
			WHERE n.mail_state = 'pending' ORDER BY n.id LIMIT ?`+lock, dispatchBatch)
		if err != nil {
			return err
		}
		taken = len(notes)
		now := time.Now()
		for i, n := range notes {
			r := readers[i]
			to, ok := r.address()
			state := any(nil)
			stale, err := s.stale(ctx, tx, n, now)
			if err != nil {
				return err
			}
			switch {
			case stale:
				state = "skipped"
			case !ok || !r.Settings.On(CategoryOf(n.Kind)):
			case r.Settings.Digest:
				state = "digest"
			default:
				d, err := s.noteDraft(ctx, tx, r, n)
				if err != nil {
					// A notification that cannot be rendered is dropped
					// from mail, not left to block those behind it.
					s.Log.Error("mail: rendering a notification", "id", n.ID, "kind", n.Kind, "err", err)
					break
				}
				d.To, d.ToName = to, r.Name
				if _, err := s.queue(ctx, tx, d, now); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, "UPDATE notifications SET mail_state = ? WHERE id = ?", state, n.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return taken, err
}

// marked reads notifications with their readers; every row is read before
// anything else runs in tx.
func marked(ctx context.Context, tx *store.Tx, q string, args ...any) ([]note, []reader, error) {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var notes []note
	var readers []reader
	for rows.Next() {
		var n note
		var r reader
		var params, role, off string
		var created store.Time
		if err := rows.Scan(&n.ID, &n.UserID, &n.Kind, &n.Title, &n.Body, &n.Link, &params, &created, &n.Read,
			&r.ID, &r.Email, &r.Name, &role, &r.Active, &r.Prefs.TimeZone, &r.Prefs.Locale, &r.Prefs.Language,
			&r.Settings.Digest, &off, &r.SignsIn); err != nil {
			return nil, nil, err
		}
		if params != "" {
			_ = json.Unmarshal([]byte(params), &n.Params)
		}
		n.CreatedAt = created.Time
		r.Role, r.Settings.Off = auth.Role(role), parseOff(off)
		notes, readers = append(notes, n), append(readers, r)
	}
	return notes, readers, rows.Err()
}

// noteView is what a kind's template receives.
type noteView struct {
	Title, Text  string
	Who          string
	When         string // the notification's instant in the reader's zone and format
	Quote        string
	QuoteHTML    htmltemplate.HTML
	Ref, Label   string
	Link         string
	ApprovalsURL string
	// Ratings are a survey's one-click links, 1 to 5, and RateURL the
	// same page without a rating, to comment first; none when the survey
	// has no link.
	Ratings []rating
	RateURL string
	// Reply is true when incoming mail is set up: a reply to the message
	// lands on its record. LinkAside is true when the reader cannot sign
	// in to follow Link, so that replying is the way to answer and the
	// link is offered as a small aside.
	Reply, LinkAside bool
}

// rating is one of a survey message's one-click links.
type rating struct {
	N    int
	Word string
	URL  string
}

// blockOf is the template block of a notification kind.
func blockOf(kind string) string {
	switch kind {
	case "incident_comment", "request_comment", "mentioned":
		return "comment"
	case "incident_resolved":
		return "resolved"
	case "approval_requested":
		return "approval"
	case "survey":
		return "survey"
	case "incident_received", "request_received":
		return "received"
	}
	return "default"
}

// refOf is the record a notification is about: its params' number, else
// the record number its link ends in.
func refOf(n note) string {
	if ref := n.Params["number"]; refPattern.MatchString(ref) {
		return ref
	}
	path, _, _ := strings.Cut(n.Link, "#")
	path, _, _ = strings.Cut(path, "?")
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		if ref := path[i+1:]; refPattern.MatchString(ref) {
			return ref
		}
	}
	return ""
}

// worded is a notification's title and text in language tx, from the
// values it was written from where it has them, else as written.
func worded(tx i18n.Text, n note) (title, text string) {
	title, text = n.Title, n.Body
	if n.Params == nil {
		return title, text
	}
	title = tx.Words("notify."+n.Kind+".title", n.Params, n.Title)
	if s := tx.Words("mail.subject."+n.Kind, n.Params, ""); s != "" {
		title = s
	}
	text = tx.Words("notify."+n.Kind+".body", n.Params, n.Body)
	if n.Kind == "assigned" && n.Params["state"] != "" {
		// The body was written from codes ("P3, in_progress"); mail reads words.
		text = tx.T("mail.body.assigned", "Priority", n.Params["priority"], "State", tx.Label(n.Params["state"]))
	}
	return title, text
}

// noteDraft renders one notification for its reader.
func (s *Service) noteDraft(ctx context.Context, tx *store.Tx, r reader, n note) (draft, error) {
	lang := languageOf(r.Prefs)
	tx18 := i18n.For(lang)
	ref := refOf(n)
	title, text := worded(tx18, n)
	subject := title
	if ref != "" {
		subject = "[" + ref + "] " + strings.Replace(title, ref+" ", "", 1)
	}
	v := noteView{Title: title, Text: text, Who: n.Params["who"], When: when(n.CreatedAt, r.Prefs), Ref: ref, Label: ref,
		Link: s.link(n.Link), ApprovalsURL: s.link("/approvals")}
	v.Reply = ref != "" && s.Inbound()
	v.LinkAside = v.Reply && !r.SignsIn
	if v.Label == "" {
		v.Label = tx18.T("mail.in_steward")
	}
	if v.Who == "" {
		v.Who = tx18.T("mail.someone")
	}
	switch n.Kind {
	case "incident_comment", "request_comment":
		body, err := commentText(ctx, tx, ref, n.CreatedAt)
		if err != nil {
			return draft{}, err
		}
		v.Quote = body
	case "mentioned":
		v.Quote = n.Body
	case "survey":
		if err := s.ratingLinks(ctx, tx, tx18, r, n, &v); err != nil {
			return draft{}, err
		}
	case "sla.warning", "sla.breach":
		ev, ok, err := slaEventOf(ctx, tx, n)
		if err != nil {
			return draft{}, err
		}
		if ok {
			v.Title = slaTitle(tx18, n.Kind, ev)
			subject = "[" + ref + "] " + v.Title
		}
	}
	if v.Quote != "" {
		v.QuoteHTML = textHTML(v.Quote)
	}
	out, err := render(lang, blockOf(n.Kind), subject, r.Name, s.link("/profile/mail"), v)
	return draft{Kind: n.Kind, UserID: r.ID, Ref: ref, rendered: out}, err
}

// journals are the kinds whose comments a comment notification quotes,
// by number prefix: the journal table and its record column.
var journals = map[string][2]string{
	"INC": {"incident_journal", "incident_id"},
	"REQ": {"request_journal", "request_id"},
}

// commentText is the public comment a comment notification announces: the
// record's latest comment written no later than the notification.
func commentText(ctx context.Context, q store.Querier, ref string, at time.Time) (string, error) {
	prefix, num, ok := strings.Cut(ref, "-")
	j, known := journals[prefix]
	if !ok || !known {
		return "", nil
	}
	id, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return "", nil
	}
	var body string
	err = store.ScanErr(q.QueryRow(ctx, "SELECT body FROM "+j[0]+" WHERE "+j[1]+` = ? AND kind = 'comment' AND created_at <= ?
		ORDER BY id DESC LIMIT 1`, id, store.TS(at)).Scan(&body))
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if len(body) > 20000 {
		body = body[:20000] + "…"
	}
	return body, err
}

// ratingLinks fills in a survey message's one-click links, when the
// survey has them.
func (s *Service) ratingLinks(ctx context.Context, tx *store.Tx, tx18 i18n.Text, r reader, n note, v *noteView) error {
	if s.RatingLink == nil {
		return nil
	}
	path, err := s.RatingLink(ctx, tx, r.ID, n.Link)
	if err != nil || path == "" {
		return err
	}
	v.RateURL = s.link(path)
	for i := 1; i <= 5; i++ {
		v.Ratings = append(v.Ratings, rating{N: i, Word: tx18.T("csat.word" + strconv.Itoa(i)),
			URL: v.RateURL + "?rating=" + strconv.Itoa(i)})
	}
	return nil
}

// Inbound reports whether incoming mail is set up, so that a reply to a
// message about a record lands on it.
func (s *Service) Inbound() bool { return s.Cfg.InboundSMTPAddr != "" || s.Cfg.IMAPURL != "" }

// StaleAfter is how old the event a notification announces may be when
// the dispatcher first sees it and still be mailed.
const StaleAfter = 24 * time.Hour

// stale reports whether n announces something too old to mail: an event
// more than StaleAfter before now (a service-level event counts from when
// its threshold was reached, not from when it was noticed), so that
// switching mail on for an installation, or a backlog of escalations,
// does not mail everyone old news. Stale notifications stay in Steward.
func (s *Service) stale(ctx context.Context, q store.Querier, n note, now time.Time) (bool, error) {
	at := n.CreatedAt
	if n.Kind == "sla.warning" || n.Kind == "sla.breach" {
		ev, ok, err := slaEventOf(ctx, q, n)
		if err != nil {
			return false, err
		}
		if ok && !ev.At.IsZero() && ev.At.Before(at) {
			at = ev.At
		}
	}
	return now.Sub(at) > StaleAfter, nil
}
