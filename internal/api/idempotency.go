package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/store"
)

// IdempotencyTTL is how long a key is remembered.
const IdempotencyTTL = 24 * time.Hour

// idem carries one request's Idempotency-Key. The key and the response are
// stored in the same transaction as the record they describe, so a retry
// either finds both or neither.
type idem struct {
	a      *API
	r      *http.Request
	key    string
	hash   string
	userID int64
	status int
	body   []byte
}

func (a *API) idempotency(r *http.Request, input any) (*idem, error) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		return &idem{}, nil
	}
	if len(key) > 255 {
		return nil, &malformed{msg: "Idempotency-Key must be at most 255 characters"}
	}
	canon, _ := json.Marshal(input)
	sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.Path+"\n"), canon...))
	id := &idem{a: a, r: r, key: key, hash: hex.EncodeToString(sum[:]), userID: httpx.Principal(r).UserID}
	return id, id.load(r.Context())
}

func (id *idem) load(ctx context.Context) error {
	var hash, body string
	var created store.Time
	err := store.ScanErr(id.a.DB.QueryRow(ctx, `SELECT request_hash, status, body, created_at FROM idempotency_keys
		WHERE user_id = ? AND key = ?`, id.userID, id.key).Scan(&hash, &id.status, &body, &created))
	if errors.Is(err, store.ErrNotFound) || (err == nil && time.Since(created.Time) > IdempotencyTTL) {
		id.status = 0
		return nil
	}
	if err != nil {
		return err
	}
	if hash != id.hash {
		return domainerr.Field("Idempotency-Key", "was already used for a different request")
	}
	id.body = []byte(body)
	return nil
}

// replay writes the stored response when there is one.
func (id *idem) replay(w http.ResponseWriter) bool {
	if id.key == "" || id.status == 0 {
		return false
	}
	var rec struct {
		Number  string `json:"number"`
		Version int    `json:"version"`
	}
	if json.Unmarshal(id.body, &rec) == nil && rec.Number != "" {
		// A created record is found where its kind's collection is.
		if id.status == http.StatusCreated && id.a.Records != nil {
			if k, _, ok := id.a.Records.Kinds.ParseNumber(rec.Number); ok {
				w.Header().Set("Location", "/api/v1/"+k.Path+"/"+rec.Number)
			}
		}
		w.Header().Set("ETag", etag(rec.Version))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(id.status)
	w.Write(id.body)
	return true
}

// storeHook returns a function that stores the key with the response (v,
// encoded as the client will see it) inside the transaction that creates
// v; nil when the request has no key.
func storeHook[T any](id *idem, status int) func(ctx context.Context, tx *store.Tx, v T) error {
	if id.key == "" {
		return nil
	}
	return func(ctx context.Context, tx *store.Tx, v T) error {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(true)
		if err := enc.Encode(v); err != nil {
			return err
		}
		now := time.Now()
		// An expired key may be reused: clear it first.
		if _, err := tx.Exec(ctx, "DELETE FROM idempotency_keys WHERE user_id = ? AND key = ? AND created_at < ?",
			id.userID, id.key, store.TS(now.Add(-IdempotencyTTL))); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (user_id, key, request_hash, status, body, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, id.userID, id.key, id.hash, status, buf.String(), store.TS(now))
		return err
	}
}

// raced reports whether err is a concurrent request with the same key
// winning; the stored response is then loaded for replay.
func (id *idem) raced(err error) bool {
	if id.key == "" || !errors.Is(err, store.ErrConflict) {
		return false
	}
	return id.load(id.r.Context()) == nil && id.status != 0
}

// createOnce answers a POST that creates something, honouring its
// Idempotency-Key: a retry gets the first answer back, and a retry that
// raced the first is answered with it once it lands. in is the decoded
// body the key is bound to; run creates, calling keep with the answer
// inside its transaction (keep is nil without a key); answer writes the
// 201.
func createOnce[Out any](a *API, w http.ResponseWriter, r *http.Request, in any,
	run func(keep func(context.Context, *store.Tx, Out) error) (Out, error), answer func(Out)) {
	idem, err := a.idempotency(r, in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if idem.replay(w) {
		return
	}
	out, err := run(storeHook[Out](idem, http.StatusCreated))
	if idem.raced(err) && idem.replay(w) {
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	answer(out)
}
