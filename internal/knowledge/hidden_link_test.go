package knowledge_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/knowledge"
	"steward/internal/record"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// An article linked to a record its author may not see is refused with
// the record named, exactly as one that does not exist, and nothing is
// stored: neither the article nor a link. The record here is of a kind
// whose records only administrators see.
func TestArticleLinkedToRecordAuthorCannotSee(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		w := newWorld(t, e)
		vault := &record.Kind{Name: "vault", Label: "Vault entry", Prefix: "VLT-", Path: "vault", Read: knowledge.PermRead,
			Load: func(_ context.Context, _ store.Querier, p *auth.Principal, id int64) (record.Summary, error) {
				if p.Role != auth.Admin || id != 1 {
					return record.Summary{}, store.ErrNotFound
				}
				return record.Summary{Kind: "vault", ID: id, Number: fmt.Sprintf("VLT-%06d", id), Title: "Root passwords"}, nil
			}}
		kernel := record.NewKernel(e.DB, 1<<20, w.svc.Kind(), vault)
		w.svc.Kernel = func() *record.Kernel { return kernel }

		title, body, aud := "Resetting the VPN token", "Open the portal and choose Reset.", knowledge.Audience("requesters")
		for _, links := range [][]string{{"VLT-000001"}, {"VLT-000002"}} {
			_, err := w.svc.Create(ctx, w.agent, knowledge.Input{Title: &title, Body: &body, Audience: &aud, Links: links})
			var inv *domainerr.Invalid
			if !errors.As(err, &inv) || !strings.Contains(inv.Fields["links"], links[0]) || !strings.Contains(inv.Fields["links"], "not a record you can see") {
				t.Errorf("an agent linking %s: %v; want a field error on links naming it", links[0], err)
			}
		}
		for table, n := range map[string]int{
			"articles":     storetest.Count(t, e.DB, "SELECT COUNT(*) FROM kb_articles"),
			"record links": storetest.Count(t, e.DB, "SELECT COUNT(*) FROM record_links"),
		} {
			if n != 0 {
				t.Errorf("%d %s stored after the refusals", n, table)
			}
		}
	})
}
