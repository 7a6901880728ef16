package event

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Kind is how an integration's events arrive.
type Kind string

const (
	KindHTTP         Kind = "http"         // POST /api/v1/events with X-Routing-Key
	KindPagerDuty    Kind = "pagerduty"    // POST /v2/enqueue, routing_key in the body
	KindAlertmanager Kind = "alertmanager" // POST /api/v1/webhooks/alertmanager?key=
	KindMQTT         Kind = "mqtt"         // Steward subscribes to topics on a broker
	KindNATS         Kind = "nats"         // Steward consumes a JetStream stream
)

// Kinds lists the integration kinds.
var Kinds = []Kind{KindHTTP, KindPagerDuty, KindAlertmanager, KindMQTT, KindNATS}

// Broker reports whether Steward connects out for this kind.
func (k Kind) Broker() bool { return k == KindMQTT || k == KindNATS }

// Label is the kind as people name it, with its article: "an Alertmanager".
func (k Kind) Label() string {
	switch k {
	case KindHTTP:
		return "an HTTP"
	case KindPagerDuty:
		return "a PagerDuty"
	case KindAlertmanager:
		return "an Alertmanager"
	case KindMQTT:
		return "an MQTT"
	case KindNATS:
		return "a NATS"
	}
	return "a " + string(k)
}

func (k Kind) valid() bool {
	for _, v := range Kinds {
		if v == k {
			return true
		}
	}
	return false
}

// Config is a broker integration's connection and payload mapping; the
// HTTP kinds leave it empty.
type Config struct {
	URL      string   `json:"url,omitempty"`      // tcp://127.0.0.1:1883, nats://127.0.0.1:4222
	Topics   []string `json:"topics,omitempty"`   // MQTT topic filters, QoS 1
	Stream   string   `json:"stream,omitempty"`   // NATS JetStream stream, created when missing
	Subjects []string `json:"subjects,omitempty"` // NATS subjects of that stream
	Mapping  *Mapping `json:"mapping,omitempty"`  // none: each message body is one Input
}

// Mapping turns a broker message that is not an Input into one. Each
// entry of Fields names an Input field (source, ci, check, resource,
// metric, severity, action, dedup_key, summary, occurred_at, message_id)
// and where its value comes from: a dotted path into the message's JSON
// body ("data.sensor.id"), "$topic" (the MQTT topic or NATS subject),
// "$topic[N]" (its Nth level, from 1; negative from the end), or a
// constant written "=value". Severities and Actions translate the values
// found ("ALARM" to critical); an unmapped value is used as it is.
type Mapping struct {
	Fields     map[string]string   `json:"fields,omitempty"`
	Severities map[string]Severity `json:"severities,omitempty"`
	Actions    map[string]Action   `json:"actions,omitempty"`
}

// Integration is one sender or broker subscription.
type Integration struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
	// RoutingKey is given once, in the answer that created the
	// integration (or rotated its key); only its hash is kept.
	RoutingKey string `json:"routing_key,omitempty"`
	KeyHint    string `json:"key_hint"` // its last four characters, to tell keys apart
	Config
	Active    bool       `json:"active"`
	Status    string     `json:"status"` // a broker's connection as last seen
	StatusAt  *time.Time `json:"status_at"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	Version   int        `json:"version"`
}

// NewIntegration is what a caller gives to create an integration.
type NewIntegration struct {
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
	Config
}

// HashKey is how a routing key is kept and looked up.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

func newRoutingKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// checkConfig validates a kind's connection settings.
func checkConfig(k Kind, c *Config, v *domainerr.Invalid) {
	c.URL = strings.TrimSpace(c.URL)
	switch k {
	case KindMQTT:
		checkURL(c.URL, []string{"tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss"}, v)
		if len(c.Topics) == 0 {
			v.Add("topics", "name at least one topic filter, such as fleet/#")
		}
		for _, t := range c.Topics {
			if t = strings.TrimSpace(t); t == "" || len(t) > 512 {
				v.Add("topics", "each topic filter must be 1 to 512 characters")
			}
		}
	case KindNATS:
		checkURL(c.URL, []string{"nats", "tls"}, v)
		if c.Stream = strings.TrimSpace(c.Stream); c.Stream == "" || strings.ContainsAny(c.Stream, " .*>\t") {
			v.Add("stream", "name the JetStream stream, without spaces, dots or wildcards")
		}
		if len(c.Subjects) == 0 {
			v.Add("subjects", "name at least one subject, such as fleet.>")
		}
	default:
		if c.URL != "" || len(c.Topics) > 0 || c.Stream != "" || len(c.Subjects) > 0 || c.Mapping != nil {
			v.Add("kind", "%s integrations take no broker settings; senders call Steward", k)
		}
	}
	if c.Mapping != nil {
		for f := range c.Mapping.Fields {
			if !mappable[f] {
				v.Add("mapping", "cannot map %q: the fields are source, ci, check, resource, metric, severity, action, dedup_key, summary, occurred_at and message_id", f)
			}
		}
		for from, to := range c.Mapping.Severities {
			if to.Rank() < 0 {
				v.Add("mapping", "maps %q to %q, which is not a severity", from, to)
			}
		}
		for from, to := range c.Mapping.Actions {
			if !to.valid() {
				v.Add("mapping", "maps %q to %q, which is not an action", from, to)
			}
		}
	}
}

var mappable = map[string]bool{"source": true, "ci": true, "check": true, "resource": true, "metric": true,
	"severity": true, "action": true, "dedup_key": true, "summary": true, "occurred_at": true, "message_id": true}

func checkURL(raw string, schemes []string, v *domainerr.Invalid) {
	u, err := url.Parse(raw)
	if raw == "" || err != nil || u.Host == "" {
		v.Add("url", "give the broker's address, such as %s://127.0.0.1", schemes[0])
		return
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return
		}
	}
	v.Add("url", "must start with %s://", strings.Join(schemes, ":// or "))
}

// CreateIntegration records a new integration and returns it with its
// routing key, the only time the key is shown.
func (s *Service) CreateIntegration(ctx context.Context, p *auth.Principal, in NewIntegration) (Integration, error) {
	if !p.Can(PermAdmin) {
		return Integration{}, domainerr.ErrForbidden
	}
	in.Name = strings.TrimSpace(in.Name)
	v := domainerr.NewInvalid()
	domainerr.Text(v, "name", in.Name, true, domainerr.MaxShort)
	if !in.Kind.valid() {
		v.Add("kind", "must be http, pagerduty, alertmanager, mqtt or nats")
	} else {
		checkConfig(in.Kind, &in.Config, v)
	}
	if err := v.Err(); err != nil {
		return Integration{}, err
	}
	key := newRoutingKey()
	cfg, _ := json.Marshal(in.Config)
	now := time.Now().UTC().Truncate(time.Microsecond)
	var id int64
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO integrations (name, kind, key_hash, key_hint, config, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			in.Name, in.Kind, HashKey(key), key[len(key)-4:], string(cfg), p.UserID, store.TS(now), store.TS(now)).Scan(&id)
		if errors.Is(store.Translate(err), store.ErrConflict) {
			return domainerr.Field("name", "another integration is called %q", in.Name)
		}
		if err != nil {
			return store.Translate(err)
		}
		return audit.Record(ctx, tx, p.Actor(), "create", "integration", id, map[string]any{"name": in.Name, "kind": in.Kind, "config": in.Config.Redacted()})
	})
	if err != nil {
		return Integration{}, err
	}
	s.forgetKeys()
	poke(s.changed)
	it, err := s.Integration(ctx, id)
	it.RoutingKey = key
	return it, err
}

const integrationCols = `id, name, kind, key_hint, config, active, status, status_at, created_at, updated_at, version`

func scanIntegration(sc interface{ Scan(...any) error }) (Integration, error) {
	var it Integration
	var cfg string
	var statusAt, created, updated store.Time
	if err := sc.Scan(&it.ID, &it.Name, &it.Kind, &it.KeyHint, &cfg, &it.Active, &it.Status, &statusAt, &created, &updated, &it.Version); err != nil {
		return Integration{}, store.Translate(err)
	}
	if err := json.Unmarshal([]byte(cfg), &it.Config); err != nil {
		return Integration{}, err
	}
	if !statusAt.IsZero() {
		t := statusAt.Time
		it.StatusAt = &t
	}
	it.CreatedAt, it.UpdatedAt = created.Time, updated.Time
	return it, nil
}

// keyFirst scans a row whose first column is the key hash, then the
// columns scanIntegration reads.
type keyFirst struct {
	sc   interface{ Scan(...any) error }
	hash *string
}

func (k keyFirst) Scan(dest ...any) error { return k.sc.Scan(append([]any{k.hash}, dest...)...) }

// Integration returns one integration.
func (s *Service) Integration(ctx context.Context, id int64) (Integration, error) {
	return scanIntegration(s.DB.QueryRow(ctx, `SELECT `+integrationCols+` FROM integrations WHERE id = ?`, id))
}

// Integrations lists every integration, active or not, by name.
func (s *Service) Integrations(ctx context.Context) ([]Integration, error) {
	rows, err := s.DB.Query(ctx, `SELECT `+integrationCols+` FROM integrations ORDER BY lower(name), id LIMIT 1000`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Integration
	for rows.Next() {
		it, err := scanIntegration(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// ByKey finds the active integration whose routing key is key;
// store.ErrNotFound when none is. Answers come from memory after the
// first lookup, so a storm of senders costs no database read.
func (s *Service) ByKey(ctx context.Context, key string) (Integration, error) {
	if key == "" {
		return Integration{}, store.ErrNotFound
	}
	h := HashKey(key)
	s.keysMu.RLock()
	it, ok := s.keys[h]
	loaded := s.keys != nil && time.Since(s.keysAt) < keyTTL
	s.keysMu.RUnlock()
	if loaded {
		if ok {
			return it, nil
		}
		return Integration{}, store.ErrNotFound
	}
	rows, err := s.DB.Query(ctx, `SELECT key_hash, `+integrationCols+` FROM integrations WHERE active`)
	if err != nil {
		return Integration{}, err
	}
	defer rows.Close()
	keys := map[string]Integration{}
	for rows.Next() {
		var hash string
		it, err := scanIntegration(keyFirst{rows, &hash})
		if err != nil {
			return Integration{}, err
		}
		keys[hash] = it
	}
	if err := rows.Err(); err != nil {
		return Integration{}, err
	}
	s.keysMu.Lock()
	s.keys, s.keysAt = keys, time.Now()
	s.keysMu.Unlock()
	if it, ok := keys[h]; ok {
		return it, nil
	}
	return Integration{}, store.ErrNotFound
}

// keyTTL is how long ByKey trusts its cache: a key rotated or an
// integration deactivated on another node stops working within it.
const keyTTL = 10 * time.Second

// forgetKeys drops the cached routing keys after integrations change on
// this node; other nodes see a change within keyTTL.
func (s *Service) forgetKeys() {
	s.keysMu.Lock()
	s.keys = nil
	s.keysMu.Unlock()
}

// SetStatus records a broker consumer's connection state.
func (s *Service) SetStatus(ctx context.Context, id int64, status string) error {
	status = RedactText(status)
	if len(status) > 500 {
		status = status[:500]
	}
	_, err := s.DB.Exec(ctx, `UPDATE integrations SET status = ?, status_at = ? WHERE id = ?`, status, store.TS(time.Now()), id)
	return err
}
