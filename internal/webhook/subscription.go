package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"steward/internal/activity"
	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// AllEvents subscribes to every kind of the feed, including kinds added
// later.
const AllEvents = "*"

// Limits on a subscription's fields.
const (
	MinSecret      = 16
	maxSecret      = 200
	maxURL         = 2000
	maxDescription = 500
	// MaxWebhooks bounds how many subscriptions a node keeps, so that a
	// feed entry fans out to a bounded number of deliveries.
	MaxWebhooks = 200
)

// States of a subscription as people see them.
const (
	StateActive  = "active"  // receiving, last attempt worked
	StateFailing = "failing" // receiving, the last attempts failed
	StatePaused  = "paused"  // deliveries wait until it is resumed
	StateOff     = "off"     // switched off: nothing is collected for it
)

// Webhook is one subscription. Its secret is never part of it once
// stored: Secret is set only in the answer that created or rotated it.
type Webhook struct {
	ID  int64  `json:"id"`
	URL string `json:"url"`
	// URLMasked says URL shows only the scheme, host and a fingerprint
	// of the path (to those who may not change the subscription).
	URLMasked   bool     `json:"url_masked"`
	Events      []string `json:"events"`
	Description string   `json:"description"`
	Active      bool     `json:"active"`
	State       string   `json:"state"`
	// Secret is given once; SecretSet says one is kept.
	Secret          string     `json:"secret,omitempty"`
	SecretSet       bool       `json:"secret_set"`
	SecretChangedAt time.Time  `json:"secret_changed_at"`
	PausedAt        *time.Time `json:"paused_at"`
	PauseReason     string     `json:"pause_reason"`
	Failures        int        `json:"failures"`
	FailingSince    *time.Time `json:"failing_since"`
	LastAttemptAt   *time.Time `json:"last_attempt_at"`
	LastStatus      int        `json:"last_status"`
	LastError       string     `json:"last_error"`
	Waiting         int        `json:"waiting"` // deliveries pending
	OwnerID         int64      `json:"owner_id"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	Version         int        `json:"version"`
}

// NewWebhook is what a caller gives to subscribe a receiver. A secret
// left out is generated.
type NewWebhook struct {
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Secret      string   `json:"secret"`
	Active      *bool    `json:"active"`
	Description string   `json:"description"`
}

// Patch changes a subscription; fields left out stay. Secret sets a new
// secret the caller chose; RotateSecret has one generated and returned
// once. Paused pauses or resumes it.
type Patch struct {
	URL          *string   `json:"url"`
	Events       *[]string `json:"events"`
	Secret       *string   `json:"secret"`
	RotateSecret bool      `json:"rotate_secret"`
	Active       *bool     `json:"active"`
	Paused       *bool     `json:"paused"`
	Description  *string   `json:"description"`
}

func newToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// newSecret is a generated signing secret: 32 random bytes.
func newSecret() string { return "whsec_" + newToken(32) }

// checkURL validates a receiver's address. Loopback and private
// addresses are allowed: receivers are often automation on the same
// network, and only administrators subscribe.
func checkURL(raw string, v *domainerr.Invalid) {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		v.Add("url", "give the receiver's address, such as https://automation.example.com/hooks/steward")
	case len(raw) > maxURL:
		v.Add("url", "must be at most %d characters", maxURL)
	case err != nil:
		v.Add("url", "cannot be read as an address: write it as https://host/path")
	case u.Scheme != "http" && u.Scheme != "https":
		v.Add("url", "must start with http:// or https://")
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		v.Add("url", "names no host: write it as https://host/path")
	case u.User != nil:
		v.Add("url", "must not carry a user or password: receivers check the X-Steward-Signature header instead")
	}
}

// normalEvents checks a list of kinds and returns it in the feed's order
// without repeats; "*" alone stands for all.
func normalEvents(in []string, v *domainerr.Invalid) []string {
	if len(in) == 0 {
		v.Add("events", "choose at least one event kind, or * for all")
		return nil
	}
	seen := map[string]bool{}
	for _, k := range in {
		k = strings.TrimSpace(k)
		switch {
		case k == AllEvents:
			return []string{AllEvents}
		case !slices.Contains(activity.EventKinds, k):
			v.Add("events", "unknown event kind %q: the kinds are %s, or * for all", k, strings.Join(activity.EventKinds, ", "))
			return nil
		}
		seen[k] = true
	}
	var out []string
	for _, k := range activity.EventKinds {
		if seen[k] {
			out = append(out, k)
		}
	}
	return out
}

func checkSecret(secret string, v *domainerr.Invalid) {
	switch {
	case len([]rune(secret)) < MinSecret:
		v.Add("secret", "must be at least %d characters; leave it out to have one generated", MinSecret)
	case len(secret) > maxSecret:
		v.Add("secret", "must be at most %d characters", maxSecret)
	case strings.ContainsAny(secret, "\x00\r\n"):
		v.Add("secret", "must be one line without NUL characters")
	}
}

// Create subscribes a receiver and returns it with its secret, the only
// time the secret is shown. Its creator owns it and is told when it is
// paused.
func (s *Service) Create(ctx context.Context, p *auth.Principal, in NewWebhook) (Webhook, error) {
	if !p.Can(PermAdmin) {
		return Webhook{}, domainerr.ErrForbidden
	}
	in.URL, in.Description = strings.TrimSpace(in.URL), strings.TrimSpace(in.Description)
	v := domainerr.NewInvalid()
	checkURL(in.URL, v)
	events := normalEvents(in.Events, v)
	if in.Secret == "" {
		in.Secret = newSecret()
	} else {
		checkSecret(in.Secret, v)
	}
	domainerr.Text(v, "description", in.Description, false, maxDescription)
	if err := v.Err(); err != nil {
		return Webhook{}, err
	}
	active := in.Active == nil || *in.Active
	evs, _ := json.Marshal(events)
	now := s.now()
	var id int64
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM webhooks`).Scan(&n); err != nil {
			return err
		}
		if n >= MaxWebhooks {
			return domainerr.Conflictf("there are already %d webhooks, the most a node keeps; delete one first", n)
		}
		var from int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM activity`).Scan(&from); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `INSERT INTO webhooks (url, events, secret, secret_changed_at, description, active,
			from_activity_id, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			in.URL, string(evs), in.Secret, store.TS(now), in.Description, active, from, p.UserID, store.TS(now), store.TS(now)).Scan(&id)
		if err != nil {
			return store.Translate(err)
		}
		return audit.Record(ctx, tx, p.Actor(), "create", "webhook", id,
			map[string]any{"url": MaskURL(in.URL), "events": events, "active": active, "description": in.Description})
	})
	if err != nil {
		return Webhook{}, err
	}
	w, err := s.Get(ctx, id)
	w.Secret = in.Secret
	return w, err
}

const webhookCols = `w.id, w.url, w.events, w.description, w.active, w.secret_changed_at, w.paused_at, w.pause_reason,
	w.failures, w.failing_since, w.last_attempt_at, w.last_status, w.last_error, COALESCE(w.created_by, 0),
	w.created_at, w.updated_at, w.version,
	(SELECT COUNT(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.state = 'pending')`

func scanWebhook(sc interface{ Scan(...any) error }) (Webhook, error) {
	var w Webhook
	var events string
	var secretAt, created, updated, paused, failing, last store.Time
	if err := sc.Scan(&w.ID, &w.URL, &events, &w.Description, &w.Active, &secretAt, &paused, &w.PauseReason,
		&w.Failures, &failing, &last, &w.LastStatus, &w.LastError, &w.OwnerID, &created, &updated, &w.Version, &w.Waiting); err != nil {
		return Webhook{}, store.Translate(err)
	}
	if err := json.Unmarshal([]byte(events), &w.Events); err != nil {
		return Webhook{}, fmt.Errorf("webhook %d: events: %w", w.ID, err)
	}
	w.SecretSet, w.SecretChangedAt, w.CreatedAt, w.UpdatedAt = true, secretAt.Time, created.Time, updated.Time
	w.PausedAt, w.FailingSince, w.LastAttemptAt = paused.Ptr(), failing.Ptr(), last.Ptr()
	switch {
	case w.PausedAt != nil:
		w.State = StatePaused
	case !w.Active:
		w.State = StateOff
	case w.Failures > 0:
		w.State = StateFailing
	default:
		w.State = StateActive
	}
	return w, nil
}

// Get returns one subscription, without its secret.
func (s *Service) Get(ctx context.Context, id int64) (Webhook, error) {
	return scanWebhook(s.DB.QueryRow(ctx, `SELECT `+webhookCols+` FROM webhooks w WHERE w.id = ?`, id))
}

// List returns every subscription, oldest first.
func (s *Service) List(ctx context.Context) ([]Webhook, error) {
	rows, err := s.DB.Query(ctx, `SELECT `+webhookCols+` FROM webhooks w ORDER BY w.id LIMIT ?`, MaxWebhooks)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Webhook{}
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// Update changes a subscription. ifVersion, when not 0, must be its
// current version. Resuming a paused receiver makes what waits for it due
// at once.
func (s *Service) Update(ctx context.Context, p *auth.Principal, id int64, pt Patch, ifVersion int) (Webhook, error) {
	if !p.Can(PermAdmin) {
		return Webhook{}, domainerr.ErrForbidden
	}
	v := domainerr.NewInvalid()
	if pt.Secret != nil && pt.RotateSecret {
		v.Add("secret", "give a secret or ask for a generated one (rotate_secret), not both")
	}
	secret := ""
	switch {
	case pt.Secret != nil:
		secret = *pt.Secret
		checkSecret(secret, v)
	case pt.RotateSecret:
		secret = newSecret()
	}
	if pt.URL != nil {
		*pt.URL = strings.TrimSpace(*pt.URL)
		checkURL(*pt.URL, v)
	}
	var events []string
	if pt.Events != nil {
		events = normalEvents(*pt.Events, v)
	}
	if pt.Description != nil {
		*pt.Description = strings.TrimSpace(*pt.Description)
		domainerr.Text(v, "description", *pt.Description, false, maxDescription)
	}
	if err := v.Err(); err != nil {
		return Webhook{}, err
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := scanWebhook(tx.QueryRow(ctx, `SELECT `+webhookCols+` FROM webhooks w WHERE w.id = ?`, id))
		if err != nil {
			return err
		}
		if ifVersion != 0 && cur.Version != ifVersion {
			return domainerr.ErrStale
		}
		return s.apply(ctx, tx, p, cur, pt, events, secret)
	})
	if err != nil {
		return Webhook{}, err
	}
	w, err := s.Get(ctx, id)
	if pt.RotateSecret {
		w.Secret = secret
	}
	return w, err
}

// apply writes a checked patch to cur and records what changed.
func (s *Service) apply(ctx context.Context, tx *store.Tx, p *auth.Principal, cur Webhook, pt Patch, events []string, secret string) error {
	now := s.now()
	changes := map[string]any{}
	next := cur
	if pt.URL != nil && *pt.URL != cur.URL {
		// The trail keeps the addresses masked: their paths may be tokens.
		next.URL, changes["url"] = *pt.URL, []string{MaskURL(cur.URL), MaskURL(*pt.URL)}
	}
	if events != nil && !slices.Equal(events, cur.Events) {
		next.Events, changes["events"] = events, map[string][]string{"old": cur.Events, "new": events}
	}
	if pt.Description != nil && *pt.Description != cur.Description {
		next.Description, changes["description"] = *pt.Description, []string{cur.Description, *pt.Description}
	}
	if pt.Active != nil && *pt.Active != cur.Active {
		next.Active, changes["active"] = *pt.Active, []bool{cur.Active, *pt.Active}
	}
	sets := []string{"url = ?", "events = ?", "description = ?", "active = ?", "updated_at = ?", "version = version + 1"}
	evs, _ := json.Marshal(next.Events)
	args := []any{next.URL, string(evs), next.Description, next.Active, store.TS(now)}
	if secret != "" {
		// The trail says that the secret changed, never what it is.
		sets, args, changes["secret"] = append(sets, "secret = ?", "secret_changed_at = ?"), append(args, secret, store.TS(now)), "changed"
	}
	// The pause columns are written only when a person pauses or resumes,
	// so an edit never undoes a pause the senders made meanwhile.
	resumed := false
	if pt.Paused != nil && *pt.Paused != (cur.PausedAt != nil) {
		if *pt.Paused {
			sets, args = append(sets, "paused_at = ?", "pause_reason = ?"), append(args, store.TS(now), "Paused by "+who(p))
		} else {
			sets = append(sets, "paused_at = NULL", "pause_reason = ''", "failures = 0", "failing_since = NULL")
			resumed = true
		}
		changes["paused"] = *pt.Paused
	}
	if len(changes) == 0 {
		return nil
	}
	res, err := tx.Exec(ctx, `UPDATE webhooks SET `+strings.Join(sets, ", ")+` WHERE id = ? AND version = ?`, append(args, cur.ID, cur.Version)...)
	if err != nil {
		return store.Translate(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domainerr.ErrStale
	}
	if resumed {
		// What waited goes out now, not at the end of its backoff.
		if _, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET next_at = ? WHERE webhook_id = ? AND state = 'pending' AND next_at > ?`,
			store.TS(now), cur.ID, store.TS(now)); err != nil {
			return err
		}
	}
	return audit.Record(ctx, tx, p.Actor(), "update", "webhook", cur.ID, changes)
}

// Delete removes a subscription with its delivery log; what waited for
// it is not sent.
func (s *Service) Delete(ctx context.Context, p *auth.Principal, id int64) error {
	if !p.Can(PermAdmin) {
		return domainerr.ErrForbidden
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		var u string
		if err := tx.QueryRow(ctx, `SELECT url FROM webhooks WHERE id = ?`, id).Scan(&u); err != nil {
			return store.Translate(err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM webhook_deliveries WHERE webhook_id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM webhooks WHERE id = ?`, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "delete", "webhook", id, map[string]any{"url": MaskURL(u)})
	})
}

// who names a person in a pause reason.
func who(p *auth.Principal) string {
	if p.Name != "" {
		return p.Name
	}
	return p.Email
}
