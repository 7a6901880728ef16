package identity_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"steward/internal/store/storetest"
)

// Clicking the button from one address, over and over, stores nothing
// and does not stop anyone else from signing in through the provider.
func TestButtonFloodDoesNotLockEveryoneOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newSite(t, e, defaultPeople())
		const clicks, clickers = 10000, 4
		flood := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clickers},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		var wg sync.WaitGroup
		var mu sync.Mutex
		answers := map[int]int{}
		for range clickers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range clicks / clickers {
					res, err := flood.Get(s.url + "/login/oidc")
					status := 0
					if err == nil {
						status = res.StatusCode
						res.Body.Close()
					}
					mu.Lock()
					answers[status]++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if answers[http.StatusFound] != clicks {
			t.Fatalf("the flood's clicks were answered %v, want %d redirects to the provider", answers, clicks)
		}
		if n := s.count("SELECT COUNT(*) FROM identity_used_states"); n != 0 {
			t.Errorf("%d rows stored by clicks that never came back from the provider", n)
		}

		b := s.browser()
		end := b.get(s.url + "/login/oidc")
		if end.status != http.StatusOK || !strings.HasPrefix(end.url.String(), s.issuer) {
			t.Errorf("after one address clicked %d times, someone else's click answered %d at %s", clicks, end.status, end.url)
		}
		b = s.browser()
		if end := b.atProvider("reqr"); end.url.String() != s.url+"/" || b.signedInAs() != "requester@steward.demo" {
			t.Errorf("after the flood a sign-in through the provider ended at %d %s", end.status, end.url)
		}
	})
}
