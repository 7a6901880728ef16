package identity

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"steward/internal/store"
)

// A sign-in under way at the provider keeps its state, nonce and PKCE
// verifier in the browser's cookie, sealed with a server key
// (AES-256-GCM), so that clicking the button stores nothing: no flood of
// clicks can fill the database or crowd out anyone else's sign-in. The
// cookie only opens on a node that shares the database, cannot be
// altered, and names its expiry. Its answer is used once: the state's
// hash is kept until the sign-in would have expired.

const (
	// flowKeySetting names the sealing key in the settings table.
	flowKeySetting = "identity.flow_key"
	// maxFlowNext is the longest address to go to after a sign-in that a
	// flow keeps; a longer one goes to the start page, so that the cookie
	// stays within what browsers keep.
	maxFlowNext = 1000
	// maxFlowCookie bounds the cookie read back.
	maxFlowCookie = 2048
)

// flowSealing is what the cookie's seal is bound to besides its key.
var flowSealing = []byte("steward single sign-on flow v1")

// flow is a sign-in started by Begin.
type flow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"x"`
	Expires  int64  `json:"e"` // Unix seconds
}

// flowAEAD is the sealing cipher, made from the key kept in the settings,
// which the first sign-in of a database creates.
func (s *Service) flowAEAD(ctx context.Context) (cipher.AEAD, error) {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if s.aead != nil {
		return s.aead, nil
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	var stored string
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		// Of two nodes creating it at once, one key is kept and both read it.
		if _, err := tx.Exec(ctx, "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING",
			flowKeySetting, base64.StdEncoding.EncodeToString(fresh), store.TS(time.Now())); err != nil {
			return err
		}
		return tx.QueryRow(ctx, "SELECT value FROM settings WHERE key = ?", flowKeySetting).Scan(&stored)
	})
	if err != nil {
		return nil, err
	}
	key, err := base64.StdEncoding.DecodeString(stored)
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("single sign-on: the sealing key in the settings (%s) is damaged; delete it and a new one is made", flowKeySetting)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	if s.aead, err = cipher.NewGCM(block); err != nil {
		return nil, err
	}
	return s.aead, nil
}

// seal writes a flow as a cookie value.
func (s *Service) seal(ctx context.Context, f flow) (string, error) {
	aead, err := s.flowAEAD(ctx)
	if err != nil {
		return "", err
	}
	plain, err := json.Marshal(f)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, plain, flowSealing)), nil
}

// errUnsealed is a cookie that is not a flow this server sealed.
var errUnsealed = errors.New("not a sealed sign-in")

// unseal reads a cookie value back; anything altered, cut or sealed with
// another key is errUnsealed.
func (s *Service) unseal(ctx context.Context, cookie string) (flow, error) {
	if cookie == "" || len(cookie) > maxFlowCookie {
		return flow{}, errUnsealed
	}
	aead, err := s.flowAEAD(ctx)
	if err != nil {
		return flow{}, err
	}
	raw, err := base64.RawURLEncoding.DecodeString(cookie)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return flow{}, errUnsealed
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], flowSealing)
	if err != nil {
		return flow{}, errUnsealed
	}
	var f flow
	if err := json.Unmarshal(plain, &f); err != nil || f.State == "" {
		return flow{}, errUnsealed
	}
	return f, nil
}

// takeFlow opens the browser's cookie, checks the state the provider sent
// back against it and the flow's expiry, and uses the answer up: an
// answer used once is refused after.
func (s *Service) takeFlow(ctx context.Context, cb Callback) (flow, error) {
	if cb.State == "" || cb.FlowCookie == "" {
		return flow{}, s.badState("state does not match this browser's")
	}
	f, err := s.unseal(ctx, cb.FlowCookie)
	if errors.Is(err, errUnsealed) {
		return flow{}, s.badState("state does not match this browser's")
	} else if err != nil {
		return flow{}, err
	}
	if subtle.ConstantTimeCompare([]byte(cb.State), []byte(f.State)) != 1 {
		return flow{}, s.badState("state does not match this browser's")
	}
	now := time.Now()
	expires := time.Unix(f.Expires, 0)
	if now.After(expires) {
		return flow{}, s.badState("sign-in at the provider took too long")
	}
	var used bool
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM identity_used_states WHERE expires_at < ?", store.TS(now)); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, "INSERT INTO identity_used_states (state_hash, expires_at) VALUES (?, ?) ON CONFLICT (state_hash) DO NOTHING",
			hash(f.State), store.TS(expires))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		used = n != 1
		return err
	})
	if err != nil {
		return flow{}, err
	}
	if used {
		return flow{}, s.badState("state used already")
	}
	return f, nil
}
