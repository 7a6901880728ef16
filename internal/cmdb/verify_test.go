package cmdb

import (
	"context"
	"fmt"
	"testing"

	"steward/internal/store/storetest"
)

func findingsOf(t *testing.T, s *estate, id int64, result string) map[string]Finding {
	t.Helper()
	out := map[string]Finding{}
	cursor := ""
	for {
		page, err := s.svc.Findings(context.Background(), id, result, 2, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range page.Items {
			name := f.Name
			if name == "" {
				name = fmt.Sprint("#", f.CIID)
			}
			out[name] = f
		}
		if cursor = page.NextCursor; cursor == "" {
			return out
		}
	}
}

func TestVerificationAgainstBaseline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		s := newEstate(t, e)
		s.ci("web01", "Server", `{"hostname":"web01"}`)
		s.ci("web02", "Server", `{"hostname":"web02"}`)
		s.ci("shop", "Application", `{}`)
		gone := s.ci("gone", "Application", `{}`)
		s.ci("other", "Application", `{}`)
		s.rel("shop", RunsOn, "web01")
		b, err := s.svc.CreateBaseline(ctx, estateActor, NewBaseline{Name: "as built",
			CIIDs: []int64{s.ids["web01"], s.ids["web02"], s.ids["shop"], gone}})
		if err != nil {
			t.Fatal(err)
		}
		s.exec("UPDATE cis SET attributes = '{\"hostname\":\"web-01\"}' WHERE id = ?", s.ids["web01"])
		s.unrel("shop", RunsOn, "web01")
		s.exec("DELETE FROM cis WHERE id = ?", gone)

		// The checker found web02's serial different on site and the shop
		// as the CMDB says; the rest comes from the baseline.
		v, err := s.svc.CreateVerification(ctx, estateActor, NewVerification{BaselineID: &b.ID, Note: "quarterly check",
			Findings: []FindingInput{
				{CIID: s.ids["web02"], Result: ResultDiffers, Differences: []Difference{{Field: "attributes.serial_number", Recorded: nil, Observed: "SN-42"}}},
				{CIID: s.ids["shop"], Result: ResultOK},
			}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if v.Counts != (ResultCounts{OK: 1, Differs: 2, Missing: 1}) || v.BaselineName != "as built" || v.VerifiedBy != estateActor.Name {
			t.Fatalf("run: %+v", v)
		}
		got := findingsOf(t, s, v.ID, "")
		if len(got) != 4 {
			t.Fatalf("findings: %+v", got)
		}
		if f := got["web01"]; f.Result != ResultDiffers ||
			fmt.Sprint(f.Differences) != fmt.Sprintf("[{attributes.hostname web01 web-01} {relationships %d runs_on %d <nil>}]", s.ids["shop"], s.ids["web01"]) {
			t.Fatalf("web01 should be pre-filled from the baseline: %+v", f)
		}
		if f := got["web02"]; f.Result != ResultDiffers || len(f.Differences) != 1 || f.Differences[0].Observed != "SN-42" {
			t.Fatalf("web02 as reported: %+v", f)
		}
		if f := got["shop"]; f.Result != ResultOK || len(f.Differences) != 0 {
			t.Fatalf("the checker's finding wins over the baseline: %+v", f)
		}
		if f := got[fmt.Sprint("#", gone)]; f.Result != ResultMissing || f.Type != "" {
			t.Fatalf("a CI deleted since the baseline is missing: %+v", f)
		}
		if got := findingsOf(t, s, v.ID, ResultDiffers); len(got) != 2 {
			t.Fatalf("differs only: %+v", got)
		}

		// Without a baseline: the CIs listed, ok unless found otherwise.
		plain, err := s.svc.CreateVerification(ctx, estateActor, NewVerification{CIIDs: []int64{s.ids["other"], s.ids["web01"]},
			Findings: []FindingInput{{CIID: s.ids["web01"], Result: ResultMissing}}}, nil)
		if err != nil || plain.Counts != (ResultCounts{OK: 1, Missing: 1}) || plain.BaselineID != nil {
			t.Fatalf("run without baseline: %v %+v", err, plain)
		}
		list, err := s.svc.Verifications(ctx, b.ID, 50, "")
		if err != nil || len(list.Items) != 1 || list.Items[0].ID != v.ID || list.Items[0].Counts != v.Counts {
			t.Fatalf("runs against the baseline: %v %+v", err, list)
		}
		list, err = s.svc.Verifications(ctx, 0, 1, "")
		if err != nil || len(list.Items) != 1 || list.Items[0].ID != plain.ID || list.NextCursor == "" {
			t.Fatalf("newest run first: %v %+v", err, list)
		}
		one, err := s.svc.Verification(ctx, v.ID)
		if err != nil || one.Counts != v.Counts || one.Note != "quarterly check" {
			t.Fatalf("get: %v %+v", err, one)
		}
	})
}

func TestVerificationBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		s := newEstate(t, e)
		a := s.ci("a", "Server", `{"hostname":"a"}`)
		missing := int64(4242)
		many := make([]FindingInput, MaxFindings+1)
		cases := []struct {
			name string
			in   NewVerification
			want map[string]string
		}{
			{"nothing checked", NewVerification{}, map[string]string{"ci_ids": "name the CIs checked"}},
			{"no such baseline", NewVerification{BaselineID: &missing}, map[string]string{"baseline_id": "baseline 4242 does not exist"}},
			{"no such CI", NewVerification{Findings: []FindingInput{{CIID: a, Result: "ok"}, {CIID: 999, Result: "ok"}}},
				map[string]string{"findings[1].ci_id": "CI 999 does not exist"}},
			{"no such listed CI", NewVerification{CIIDs: []int64{a, 998}}, map[string]string{"ci_ids[1]": "CI 998 does not exist"}},
			{"bad result", NewVerification{Findings: []FindingInput{{CIID: a, Result: "fine"}}},
				map[string]string{"findings[0].result": "ok, differs, missing"}},
			{"differs without differences", NewVerification{Findings: []FindingInput{{CIID: a, Result: "differs"}}},
				map[string]string{"findings[0].differences": "at least one"}},
			{"ok with differences", NewVerification{Findings: []FindingInput{{CIID: a, Result: "ok", Differences: []Difference{{Field: "x"}}}}},
				map[string]string{"findings[0].differences": "only a differs finding"}},
			{"nameless difference", NewVerification{Findings: []FindingInput{{CIID: a, Result: "differs", Differences: []Difference{{Observed: 1}}}}},
				map[string]string{"findings[0].differences[0].field": "is required"}},
			{"twice", NewVerification{Findings: []FindingInput{{CIID: a, Result: "ok"}, {CIID: a, Result: "missing"}}},
				map[string]string{"findings[1].ci_id": "already findings[0]"}},
			{"too many", NewVerification{Findings: many}, map[string]string{"findings": "at most 10000"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := s.svc.CreateVerification(ctx, estateActor, c.in, nil)
				estateFields(t, err, c.want)
			})
		}
		var n int
		if err := e.DB.QueryRow(ctx, "SELECT COUNT(*) FROM ci_verifications").Scan(&n); err != nil || n != 0 {
			t.Fatalf("a refused run left something behind: %d %v", n, err)
		}
	})
}
