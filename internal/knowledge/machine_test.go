package knowledge_test

import (
	"context"
	"testing"

	"steward/internal/auth"
	"steward/internal/knowledge"
	"steward/internal/store/storetest"
)

func TestMachineTable(t *testing.T) {
	if err := knowledge.Machine.Validate(); err != nil {
		t.Fatal(err)
	}
	// Every action people make is a move of the table, and only those.
	for _, mv := range knowledge.Machine.Moves {
		_, person := knowledge.Actions[mv.Action]
		if person == (mv.By == "system") {
			t.Errorf("move %s: by %q, but declared as a person's action: %v", mv.Action, mv.By, person)
		}
	}
}

// Every action tried from every state a version can be in: the table
// decides, and nothing else moves.
func TestEveryMoveFromEveryState(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		// setup brings a fresh article's version of interest to state.
		setup := map[knowledge.State]func() knowledge.Article{
			knowledge.Draft: func() knowledge.Article {
				return w.article(t, w.admin, "Draft", "text", knowledge.Requesters, knowledge.Draft)
			},
			knowledge.Review: func() knowledge.Article {
				return w.article(t, w.admin, "Review", "text", knowledge.Requesters, knowledge.Review)
			},
			knowledge.Published: func() knowledge.Article {
				return w.article(t, w.admin, "Published", "text", knowledge.Requesters, knowledge.Published)
			},
			knowledge.Retired: func() knowledge.Article {
				a := w.article(t, w.admin, "Retired", "text", knowledge.Requesters, knowledge.Published)
				a, err := w.svc.Move(ctx, w.admin, a.ID, "retire", 0)
				if err != nil {
					t.Fatal(err)
				}
				return a
			},
		}
		for from, make := range setup {
			for action, act := range knowledge.Actions {
				a := make()
				want, legal := "", false
				for _, mv := range knowledge.Machine.Moves {
					if mv.From == string(from) && mv.Action == action && mv.By == "" {
						want, legal = mv.To, true
					}
				}
				// Moves of the working version from a published or retired
				// article have no working version to move.
				if act.Working && (from == knowledge.Published || from == knowledge.Retired) {
					legal = false
				}
				got, err := w.svc.Move(ctx, w.admin, a.ID, action, 0)
				if legal != (err == nil) {
					t.Errorf("%s from %s: error %v, legal %v", action, from, err, legal)
					continue
				}
				if !legal {
					if !isConflict(err) {
						t.Errorf("%s from %s: want a conflict, got %v", action, from, err)
					}
					after, _ := w.svc.Get(ctx, w.admin, a.ID)
					if after.State != from || after.Version != a.Version {
						t.Errorf("%s from %s: a refused move changed the article to %s", action, from, after.State)
					}
					continue
				}
				if string(got.State) != want {
					t.Errorf("%s from %s: article is %s, want %s", action, from, got.State, want)
				}
			}
		}
	})
}

// A published version stays what readers see while the next one is
// written, reviewed and published; publishing supersedes the old one.
func TestPublishedStaysReadableWhileRevised(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		a := w.article(t, w.admin, "Reset your password", "Use the self-service page.", knowledge.Requesters, knowledge.Published)
		if _, err := w.svc.Update(ctx, w.agent, a.ID, knowledge.Input{Body: ptr("New text: use the new portal.")}, 0); err != nil {
			t.Fatal(err)
		}
		seen, err := w.svc.Get(ctx, w.reqA, a.ID)
		if err != nil {
			t.Fatalf("requester lost the published article while a draft is written: %v", err)
		}
		if seen.Body != "Use the self-service page." || seen.Pending != knowledge.Draft || seen.State != knowledge.Published {
			t.Errorf("requester reads %q (state %s, pending %s), want the published text", seen.Body, seen.State, seen.Pending)
		}
		if _, err := w.svc.Move(ctx, w.agent, a.ID, "submit", 0); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Move(ctx, w.agent, a.ID, "publish", 0); !isForbidden(err) {
			t.Fatalf("agent published: %v", err)
		}
		got, err := w.svc.Move(ctx, w.admin, a.ID, "publish", 0)
		if err != nil {
			t.Fatal(err)
		}
		if got.Body != "New text: use the new portal." || got.VersionNumber != 2 || got.Pending != "" {
			t.Errorf("after publishing: body %q version %d pending %q", got.Body, got.VersionNumber, got.Pending)
		}
		vs, err := w.svc.Versions(ctx, w.admin, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != 2 || vs[0].State != knowledge.Published || vs[1].State != knowledge.Superseded {
			t.Errorf("versions %+v, want 2 published and 1 superseded", vs)
		}
		// Retiring hides it from requesters; staff still read it.
		if _, err := w.svc.Move(ctx, w.admin, a.ID, "retire", 0); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Get(ctx, w.reqA, a.ID); !isNotFound(err) {
			t.Errorf("requester reads a retired article: %v", err)
		}
		if _, err := w.svc.Get(ctx, w.agent, a.ID); err != nil {
			t.Errorf("agent cannot read a retired article: %v", err)
		}
	})
}

// Who reads what: requesters only published articles for requesters, of
// their customer when limited; staff everything.
func TestWhoReadsWhat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		draft := w.article(t, w.agent, "Draft for requesters", "x", knowledge.Requesters, knowledge.Draft)
		review := w.article(t, w.agent, "In review", "x", knowledge.Requesters, knowledge.Review)
		agents := w.article(t, w.admin, "Agents only", "x", knowledge.Agents, knowledge.Published)
		all := w.article(t, w.admin, "For everyone", "x", knowledge.Requesters, knowledge.Published)
		onlyA := w.article(t, w.admin, "Customer A only", "x", knowledge.Requesters, knowledge.Published, w.custA)
		cases := []struct {
			name string
			p    *auth.Principal
			sees map[int64]bool
		}{
			{"requester A", w.reqA, map[int64]bool{all.ID: true, onlyA.ID: true}},
			{"requester B", w.reqB, map[int64]bool{all.ID: true}},
			{"agent", w.agent, map[int64]bool{draft.ID: true, review.ID: true, agents.ID: true, all.ID: true, onlyA.ID: true}},
			{"auditor", w.auditor, map[int64]bool{draft.ID: true, review.ID: true, agents.ID: true, all.ID: true, onlyA.ID: true}},
		}
		for _, c := range cases {
			for _, a := range []knowledge.Article{draft, review, agents, all, onlyA} {
				_, err := w.svc.Get(ctx, c.p, a.ID)
				if c.sees[a.ID] != (err == nil) {
					t.Errorf("%s reading %q: %v, should see: %v", c.name, a.Title, err, c.sees[a.ID])
				}
			}
			pg, err := w.svc.List(ctx, c.p, knowledge.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(pg.Items) != len(c.sees) {
				t.Errorf("%s lists %d articles, want %d", c.name, len(pg.Items), len(c.sees))
			}
			for _, a := range pg.Items {
				if !c.sees[a.ID] {
					t.Errorf("%s lists %q", c.name, a.Title)
				}
			}
			// Suggestions never offer what the list would hide, nor drafts.
			got, err := w.svc.Suggest(ctx, c.p, "x for requesters review agents everyone customer draft", 20)
			if err != nil {
				t.Fatal(err)
			}
			published := 0
			for id := range c.sees {
				if id != draft.ID && id != review.ID {
					published++
				}
			}
			if len(got) != published {
				t.Errorf("%s is suggested %d articles, want the %d published ones they may read", c.name, len(got), published)
			}
			for _, s := range got {
				if !c.sees[s.ID] || s.ID == draft.ID || s.ID == review.ID {
					t.Errorf("%s is suggested %q", c.name, s.Title)
				}
			}
		}
	})
}

func TestWritesThatAreRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		aud := knowledge.Requesters
		cases := []struct {
			name  string
			p     *auth.Principal
			in    knowledge.Input
			check func(error) bool
		}{
			{"empty title", w.agent, knowledge.Input{Title: ptr("  "), Audience: &aud}, func(err error) bool { return fieldOf(err)["title"] != "" }},
			{"unknown audience", w.agent, knowledge.Input{Title: ptr("T"), Audience: ptr(knowledge.Audience("everyone"))}, func(err error) bool { return fieldOf(err)["audience"] != "" }},
			{"no audience", w.agent, knowledge.Input{Title: ptr("T")}, func(err error) bool { return fieldOf(err)["audience"] != "" }},
			{"agent publishes", w.agent, knowledge.Input{Title: ptr("T"), Body: ptr("b"), Audience: &aud, State: ptr(knowledge.Published)}, isForbidden},
			{"requester writes", w.reqA, knowledge.Input{Title: ptr("T"), Audience: &aud}, isForbidden},
			{"auditor writes", w.auditor, knowledge.Input{Title: ptr("T"), Audience: &aud}, isForbidden},
			{"customers on an agents' article", w.admin, knowledge.Input{Title: ptr("T"), Audience: ptr(knowledge.Agents), CustomerIDs: &[]int64{w.custA}}, func(err error) bool { return fieldOf(err)["customer_ids"] != "" }},
			{"bad review date", w.agent, knowledge.Input{Title: ptr("T"), Audience: &aud, ReviewDate: ptr("31.03.2027")}, func(err error) bool { return fieldOf(err)["review_date"] != "" }},
			{"review without text", w.agent, knowledge.Input{Title: ptr("T"), Audience: &aud, State: ptr(knowledge.Review)}, func(err error) bool { return fieldOf(err)["body"] != "" }},
			{"link to nothing", w.agent, knowledge.Input{Title: ptr("T"), Audience: &aud, Links: []string{"INC-000999"}}, func(err error) bool { return fieldOf(err)["links"] != "" }},
		}
		for _, c := range cases {
			_, err := w.svc.Create(ctx, c.p, c.in)
			if err == nil || !c.check(err) {
				t.Errorf("%s: got %v", c.name, err)
			}
		}
		var n int
		if err := e.DB.QueryRow(ctx, "SELECT COUNT(*) FROM kb_articles").Scan(&n); err != nil || n != 0 {
			t.Errorf("refused writes stored %d articles (%v)", n, err)
		}
		// An admin may create an article already published.
		a := w.article(t, w.admin, "Published at once", "text", knowledge.Requesters, knowledge.Published)
		if a.State != knowledge.Published || a.ReviewDate == "" {
			t.Errorf("admin's published article: state %s review %q", a.State, a.ReviewDate)
		}
		// An agent may not change who reads a published article.
		if _, err := w.svc.Update(ctx, w.agent, a.ID, knowledge.Input{Audience: ptr(knowledge.Agents)}, 0); !isForbidden(err) {
			t.Errorf("agent narrowed a published article's audience: %v", err)
		}
	})
}

func TestFeedbackOncePerVersion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		a := w.article(t, w.admin, "VPN token", "Resync it.", knowledge.Requesters, knowledge.Published)
		if _, err := w.svc.GiveFeedback(ctx, w.reqA, a.ID, true, "worked"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.GiveFeedback(ctx, w.reqA, a.ID, false, ""); !isConflict(err) {
			t.Errorf("second answer: %v, want a conflict", err)
		}
		if _, err := w.svc.GiveFeedback(ctx, w.reqB, a.ID, false, ""); err != nil {
			t.Fatal(err)
		}
		got, _ := w.svc.Get(ctx, w.admin, a.ID)
		if got.Helpful != 1 || got.NotHelpful != 1 {
			t.Errorf("counts %d/%d, want 1/1", got.Helpful, got.NotHelpful)
		}
		// A new version asks again.
		if _, err := w.svc.Update(ctx, w.admin, a.ID, knowledge.Input{Body: ptr("Resync it in the portal.")}, 0); err != nil {
			t.Fatal(err)
		}
		for _, act := range []string{"submit", "publish"} {
			if _, err := w.svc.Move(ctx, w.admin, a.ID, act, 0); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.svc.GiveFeedback(ctx, w.reqA, a.ID, true, ""); err != nil {
			t.Errorf("feedback on the new version: %v", err)
		}
		// Feedback only on what one may read.
		draft := w.article(t, w.agent, "Draft", "x", knowledge.Requesters, knowledge.Draft)
		if _, err := w.svc.GiveFeedback(ctx, w.reqA, draft.ID, true, ""); !isNotFound(err) {
			t.Errorf("feedback on a draft by a requester: %v", err)
		}
	})
}
