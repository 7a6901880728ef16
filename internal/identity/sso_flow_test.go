package identity_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"steward/internal/store"
	"steward/internal/store/storetest"
)

// Clicking the button from one address, over and over, does not stop
// everyone else from signing in through the provider.
func TestButtonFloodDoesNotLockEveryoneOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newSite(t, e, defaultPeople())
		ctx := context.Background()
		// What 9,999 anonymous clicks on /login/oidc leave behind (one row
		// each, valid for ten minutes); the last click below goes through
		// the page itself.
		expires := store.TS(time.Now().Add(10 * time.Minute))
		err := s.app.DB.InTx(ctx, func(tx *store.Tx) error {
			for i := 0; i < 9999; i++ {
				if _, err := tx.Exec(ctx, "INSERT INTO identity_flows (state_hash, nonce, verifier, next, expires_at) VALUES (?, 'n', 'v', '/', ?)",
					"flood-"+strings.Repeat("0", 6)+itoa(i), expires); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		flood := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := flood.Get(s.url + "/login/oidc")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusFound {
			t.Fatalf("the flood's last click: %d", res.StatusCode)
		}

		b := s.browser()
		end := b.get(s.url + "/login/oidc")
		if end.status != http.StatusOK || !strings.HasPrefix(end.url.String(), s.issuer) {
			t.Errorf("after one address clicked 10,000 times, someone else's click answered %d at %s (refused as too many under way: %v)",
				end.status, end.url, strings.Contains(end.body, "Too many sign-ins are under way"))
		}
	})
}

func itoa(i int) string {
	const digits = "0123456789"
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{digits[i%10]}, b...)
	}
	return string(b)
}
