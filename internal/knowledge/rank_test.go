package knowledge_test

import (
	"context"
	"testing"

	"steward/internal/knowledge"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// The demo's kind of articles, and what people type.
func TestSuggestRanking(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		pub := knowledge.Published
		w.article(t, w.admin, "VPN keeps disconnecting or is slow", "Hotel networks break the VPN tunnel. Choose TCP transport.", knowledge.Requesters, pub)
		token := w.article(t, w.admin, "Set up or resync your VPN token", "The VPN asks for a code from your token. Resync tokens in the portal.", knowledge.Requesters, pub)
		w.article(t, w.admin, "Printer prints blank pages", "Check the toner and the print queue.", knowledge.Requesters, pub)
		pw := w.article(t, w.admin, "Reset your password or unlock your account", "Use the self-service password page; accounts unlock after 15 minutes.", knowledge.Requesters, pub)
		w.article(t, w.admin, "Outlook keeps asking for your password", "Remove the stored credentials after a password change.", knowledge.Requesters, pub)
		cases := []struct {
			q    string
			want int64
		}{
			{"vpn token", token.ID},
			{"My VPN tokens stopped working", token.ID}, // stemming: tokens -> token
			{"vpn tok", token.ID},                       // still typing
			{"account locked, cannot reset password", pw.ID},
		}
		for _, c := range cases {
			got, err := w.svc.Suggest(ctx, w.reqA, c.q, 5)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 || got[0].ID != c.want {
				t.Errorf("%q: got %+v, want article %d first", c.q, got, c.want)
			}
			for i := 1; i < len(got); i++ {
				if got[i].Score > got[i-1].Score {
					t.Errorf("%q: not ranked by score: %+v", c.q, got)
				}
			}
		}
		if got, _ := w.svc.Suggest(ctx, w.reqA, "the and of", 5); len(got) != 0 {
			t.Errorf("stop words alone suggested %+v", got)
		}
		// A known error is suggested to agents, never to requesters.
		err := e.DB.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO problems (title, description, state, root_cause, workaround, created_at, updated_at)
			VALUES ('VPN gateway certificate expired', 'Token accepted but tunnel refused', 'known_error', 'Certificate', 'Reconnect to gateway 2', ?, ?)`,
				"2026-01-01T00:00:00.000000Z", "2026-01-01T00:00:00.000000Z")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.svc.Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		kinds := func(items []knowledge.Suggestion) map[string]bool {
			out := map[string]bool{}
			for _, s := range items {
				out[s.Kind] = true
			}
			return out
		}
		agentGot, _ := w.svc.Suggest(ctx, w.agent, "vpn gateway certificate", 5)
		if !kinds(agentGot)[knowledge.KnownErrorKind] {
			t.Errorf("agent not offered the known error: %+v", agentGot)
		}
		reqGot, _ := w.svc.Suggest(ctx, w.reqA, "vpn gateway certificate", 5)
		if kinds(reqGot)[knowledge.KnownErrorKind] {
			t.Errorf("requester offered a known error: %+v", reqGot)
		}
	})
}

// Articles written on another node reach this node's index at its next
// look, without a restart.
func TestIndexSeesOtherNodesWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		other := knowledge.NewService(e.DB, w.svc.Log)
		other.Recheck = 1 // nanosecond: look every time
		if got, _ := other.Suggest(ctx, w.reqA, "printer", 5); len(got) != 0 {
			t.Fatalf("empty index suggested %+v", got)
		}
		w.article(t, w.admin, "Printer prints blank pages", "toner", knowledge.Requesters, knowledge.Published)
		got, err := other.Suggest(ctx, w.reqA, "printer", 5)
		if err != nil || len(got) != 1 {
			t.Errorf("other node suggests %+v (%v), want the new article", got, err)
		}
	})
}
