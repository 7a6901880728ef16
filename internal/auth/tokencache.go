package auth

import (
	"context"
	"slices"
	"sync"
	"time"

	"steward/internal/store"
)

// TokenCacheTTL is how long a node trusts a token it has resolved before
// it reads the token again. Revoking a token, disabling its user or
// changing their role or groups therefore takes effect on every node
// within this long, without any message between nodes.
const TokenCacheTTL = time.Second

// tokenCacheMax bounds the cache; when full it starts again empty.
const tokenCacheMax = 10_000

// TokenCache remembers resolved API tokens by the hash of their secret for
// at most TokenCacheTTL, so a client sending many requests a second costs
// one token lookup a second, not one a request. Unknown and revoked tokens
// are never remembered: a new token works at once.
type TokenCache struct {
	mu      sync.Mutex
	entries map[string]cachedToken
	now     func() time.Time // the clock; tests move it
}

type cachedToken struct {
	p  Principal
	at time.Time
}

// NewTokenCache returns an empty cache.
func NewTokenCache() *TokenCache {
	return &TokenCache{entries: map[string]cachedToken{}, now: time.Now}
}

// Principal resolves a bearer token like TokenPrincipal, from the cache
// when this node resolved it less than TokenCacheTTL ago.
func (c *TokenCache) Principal(ctx context.Context, db *store.DB, secret string) (*Principal, error) {
	if c == nil {
		return TokenPrincipal(ctx, db, secret)
	}
	key := sha(secret)
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < TokenCacheTTL && !now.Before(e.at) {
		p := e.p
		p.GroupIDs = slices.Clone(e.p.GroupIDs)
		return &p, nil
	}
	p, err := TokenPrincipal(ctx, db, secret)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		delete(c.entries, key)
		return nil, err
	}
	if len(c.entries) >= tokenCacheMax {
		c.entries = map[string]cachedToken{}
	}
	kept := *p
	kept.GroupIDs = slices.Clone(p.GroupIDs)
	c.entries[key] = cachedToken{p: kept, at: now}
	return p, nil
}

// Forget drops token id from the cache, so that a revocation made on this
// node takes effect on it at once; other nodes follow within TokenCacheTTL.
func (c *TokenCache) Forget(tokenID int64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if e.p.TokenID == tokenID {
			delete(c.entries, k)
		}
	}
}

// ForgetUser drops the tokens of user id, so that a change to the user
// (role, groups, disabled) made on this node binds their tokens on it at
// once; other nodes follow within TokenCacheTTL.
func (c *TokenCache) ForgetUser(userID int64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if e.p.UserID == userID {
			delete(c.entries, k)
		}
	}
}
