package request_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/jobs"
	"steward/internal/notify"
	"steward/internal/org"
	"steward/internal/request"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

func TestCatalogItems(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		open := w.item(request.NewItem{Name: "Laptop", Form: &laptopForm, GroupID: &w.desk,
			Tasks: []request.TaskTemplate{{Name: "Order", Order: 1}, {Name: "Image", Order: 2, GroupID: &w.desk}}})
		if open.Approval.Rule != request.NoApproval || len(open.Tasks) != 2 || open.Tasks[0].Order != 1 || !open.Active || open.ServiceName != "Workplace" {
			t.Fatalf("created %+v", open)
		}
		betaOnly := w.item(request.NewItem{ServiceID: w.private, Name: "Pallet scanner"})
		inactive := w.item(request.NewItem{Name: "Fax toner", Active: ptr(false)})
		// Published while its service was live; the service retired since.
		retired := w.item(request.NewItem{ServiceID: w.retired, Name: "Fax line", Active: ptr(false)})
		if _, err := e.DB.Exec(ctx, "UPDATE catalog_items SET active = ? WHERE id = ?", true, retired.ID); err != nil {
			t.Fatal(err)
		}

		t.Run("validation names the field", func(t *testing.T) {
			bad := request.NewItem{ServiceID: 999999, Name: "", GroupID: ptr(int64(999999)),
				Approval: &request.Approval{Rule: request.UserApproval, UserID: &w.p["auditor"].UserID, Mode: request.AllMembers},
				Tasks:    []request.TaskTemplate{{Name: "", Order: 500}},
				Form:     &request.Form{Fields: []request.Field{{Key: "a", Label: "A", Type: "colour"}}}}
			_, err := w.svc.CreateItem(ctx, w.p["admin"], bad)
			f := fields(t, err)
			for _, k := range []string{"service_id", "name", "group_id", "approval.user_id", "approval.mode", "tasks[0].name", "tasks[0].order", "form.fields[0].type"} {
				if f[k] == "" {
					t.Errorf("no message for %s in %v", k, f)
				}
			}
			_, err = w.svc.CreateItem(ctx, w.p["admin"], request.NewItem{ServiceID: w.service, Name: "laptop"})
			if f := fields(t, err); !strings.Contains(f["name"], "already") {
				t.Fatalf("duplicate name: %v", f)
			}
			_, err = w.svc.CreateItem(ctx, w.p["agent"], request.NewItem{ServiceID: w.service, Name: "X"})
			if !errors.Is(err, domainerr.ErrForbidden) {
				t.Fatalf("agent creating an item: %v", err)
			}
		})

		t.Run("requesters see active items of services offered to them", func(t *testing.T) {
			seen := func(who string) map[string]bool {
				items, err := w.svc.ListItems(ctx, w.p[who], request.ItemFilter{Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				out := map[string]bool{}
				for _, it := range items {
					out[it.Name] = true
				}
				return out
			}
			if a := seen("alice"); !a["Laptop"] || a["Pallet scanner"] || a["Fax toner"] || a["Fax line"] || len(a) != 1 {
				t.Errorf("alice sees %v", a)
			}
			if b := seen("bob"); !b["Laptop"] || !b["Pallet scanner"] || len(b) != 2 {
				t.Errorf("bob sees %v", b)
			}
			if s := seen("auditor"); len(s) != 4 {
				t.Errorf("staff see %v, want all four", s)
			}
			for _, id := range []int64{betaOnly.ID, inactive.ID, retired.ID} {
				if _, err := w.svc.GetItem(ctx, w.p["alice"], id); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("alice reading item %d: %v", id, err)
				}
			}
		})

		t.Run("patch with If-Match, delete only when unused", func(t *testing.T) {
			it, err := w.svc.UpdateItem(ctx, w.p["admin"], inactive.ID, request.ItemPatch{Description: ptr("Black only")}, inactive.Version)
			if err != nil || it.Description != "Black only" || it.Version != 2 {
				t.Fatalf("patch: %+v %v", it, err)
			}
			if _, err := w.svc.UpdateItem(ctx, w.p["admin"], inactive.ID, request.ItemPatch{Name: ptr("Y")}, 1); !errors.Is(err, domainerr.ErrStale) {
				t.Fatalf("stale patch: %v", err)
			}
			w.submit("alice", request.NewRequest{ItemID: open.ID, Answers: map[string]any{"model": "13 inch", "needed_by": "2099-04-01"}})
			var c *domainerr.Conflict
			if err := w.svc.DeleteItem(ctx, w.p["admin"], open.ID); !errors.As(err, &c) {
				t.Fatalf("deleting a used item: %v", err)
			}
			if err := w.svc.DeleteItem(ctx, w.p["admin"], inactive.ID); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("only a live service publishes items", func(t *testing.T) {
			pipeline := w.addService("Data lake", "pipeline")
			for svc, status := range map[int64]string{w.retired: "Old Fax is retired", pipeline: "Data lake is pipeline"} {
				_, err := w.svc.CreateItem(ctx, w.p["admin"], request.NewItem{ServiceID: svc, Name: "Early access"})
				if f := fields(t, err); !strings.Contains(f["service_id"], status) || !strings.Contains(f["service_id"], "only a live service") {
					t.Errorf("publishing on %q: %v", status, f)
				}
				if _, err := w.svc.CreateItem(ctx, w.p["admin"], request.NewItem{ServiceID: svc, Name: "Early access", Active: ptr(false)}); err != nil {
					t.Errorf("an inactive item waits for its service: %v", err)
				}
			}
			if _, err := w.svc.UpdateItem(ctx, w.p["admin"], retired.ID, request.ItemPatch{Description: ptr("Kept for history.")}, 0); err != nil {
				t.Fatalf("editing an item whose service retired since: %v", err)
			}
			if _, err := w.svc.UpdateItem(ctx, w.p["admin"], open.ID, request.ItemPatch{ServiceID: &w.retired}, 0); fields(t, err)["service_id"] == "" {
				t.Fatalf("moving a published item to a retired service: %v", err)
			}
			spare := w.item(request.NewItem{Name: "Spare toner", Active: ptr(false)})
			if _, err := w.svc.UpdateItem(ctx, w.p["admin"], spare.ID, request.ItemPatch{Active: ptr(true)}, 0); err != nil {
				t.Fatalf("publishing an item of a live service: %v", err)
			}
			if _, err := w.svc.UpdateItem(ctx, w.p["admin"], retired.ID, request.ItemPatch{Active: ptr(false)}, 0); err != nil {
				t.Fatal(err)
			}
			if _, err := w.svc.UpdateItem(ctx, w.p["admin"], retired.ID, request.ItemPatch{Active: ptr(true)}, 0); fields(t, err)["service_id"] == "" {
				t.Fatalf("publishing again on a retired service: %v", err)
			}
		})
	})
}

func TestFulfilmentInStages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		it := w.item(request.NewItem{Name: "Laptop", Form: &laptopForm, GroupID: &w.desk, Tasks: []request.TaskTemplate{
			{Name: "Order hardware", Order: 1, GroupID: &w.desk}, {Name: "Order bag", Order: 1},
			{Name: "Install", Order: 2, GroupID: &w.desk}}})
		r := w.submit("alice", request.NewRequest{ItemID: it.ID, Answers: map[string]any{
			"model": "15 inch", "dock": "true", "dock_place": "Room 2", "needed_by": "2099-05-04", "user": w.p["amir"].UserID}})
		if r.State != request.InFulfilment || r.Title != "Laptop" || r.Priority != 3 || r.CustomerID == nil || *r.CustomerID != w.custA ||
			r.GroupID == nil || *r.GroupID != w.desk || r.Number != request.FormatNumber(r.ID) || r.Answers["user"] != w.p["amir"].UserID {
			t.Fatalf("submitted %+v", r)
		}
		if before, after := w.seen.last(); before != nil || after == nil || after.Kind != "request" || after.State != "in_fulfilment" ||
			after.ItemID != it.ID || after.ServiceID != w.service || after.Priority != "P3" || after.Number != r.Number {
			t.Fatalf("observer told %+v -> %+v", before, after)
		}
		tasks := w.tasks(r)
		states := func() string {
			var s []string
			for _, t := range w.tasks(r) {
				s = append(s, string(t.State))
			}
			return strings.Join(s, ",")
		}
		if got := states(); got != "open,open,pending" {
			t.Fatalf("task states %s, want the first order open", got)
		}
		if w.notifications("agent") == 0 || w.notifications("agent2") == 0 {
			t.Error("the group's members were not told about the open task")
		}
		if _, err := w.svc.UpdateTask(ctx, w.p["agent"], r.ID, tasks[2].ID, request.TaskPatch{State: ptr(request.TaskDone)}, 0); fields(t, err)["state"] == "" {
			t.Fatal("a pending task was done before its turn")
		}
		if _, err := w.svc.Update(ctx, w.p["agent"], r.ID, request.Patch{State: ptr(request.Fulfilled)}, 0); !strings.Contains(fields(t, err)["state"], "3 tasks") {
			t.Fatal("fulfilled by hand with tasks open")
		}
		done := func(task request.Task, state request.TaskState) {
			t.Helper()
			if _, err := w.svc.UpdateTask(ctx, w.p["agent"], r.ID, task.ID, request.TaskPatch{State: &state}, 0); err != nil {
				t.Fatal(err)
			}
		}
		done(tasks[0], request.TaskDone)
		if got := states(); got != "done,open,pending" {
			t.Fatalf("after one of two: %s", got)
		}
		done(tasks[1], request.TaskCancelled)
		if got := states(); got != "done,cancelled,open" {
			t.Fatalf("second stage did not open: %s", got)
		}
		added, err := w.svc.AddTask(ctx, w.p["agent"], r.ID, request.NewTask{Name: "Label it"})
		if err != nil || added.State != request.TaskOpen || added.Order != 2 {
			t.Fatalf("added task %+v %v: should join the open stage", added, err)
		}
		done(added, request.TaskDone)
		if w.reload(r).State != request.InFulfilment {
			t.Fatal("fulfilled with a task still open")
		}
		done(tasks[2], request.TaskDone)
		got := w.reload(r)
		if got.State != request.Fulfilled || got.FulfilledAt == nil || got.FirstResponseAt == nil {
			t.Fatalf("after the last task: %+v", got)
		}
		if w.notifications("alice") == 0 {
			t.Error("the requester was not told about fulfilment")
		}
		if jobsDue := storetest.Count(t, w.db, "SELECT COUNT(*) FROM jobs WHERE kind = ?", request.AutoCloseJob); jobsDue != 1 {
			t.Errorf("%d auto-close jobs, want 1", jobsDue)
		}

		t.Run("requester reopens, desk fulfils again, closes", func(t *testing.T) {
			if _, err := w.svc.Reopen(ctx, w.p["amir"], r.ID, "", 0); !errors.Is(err, domainerr.ErrForbidden) {
				t.Fatalf("a colleague reopened alice's request: %v", err)
			}
			re, err := w.svc.Reopen(ctx, w.p["alice"], r.ID, "The dock is missing", 0)
			if err != nil || re.State != request.InFulfilment || re.ReopenCount != 1 || re.FulfilledAt != nil {
				t.Fatalf("reopen: %+v %v", re, err)
			}
			if _, after := w.seen.last(); after.Reopens != 1 {
				t.Errorf("observer saw %d reopens", after.Reopens)
			}
			if _, err := w.svc.Update(ctx, w.p["agent"], r.ID, request.Patch{State: ptr(request.Fulfilled)}, 0); err != nil {
				t.Fatalf("manual fulfil with every task finished: %v", err)
			}
			if _, err := w.svc.Cancel(ctx, w.p["alice"], r.ID, "", 0); err == nil || !errors.Is(err, store.ErrConflict) {
				t.Fatalf("cancelling a fulfilled request: %v", err)
			}
			closed, err := w.svc.Update(ctx, w.p["agent"], r.ID, request.Patch{State: ptr(request.Closed)}, 0)
			if err != nil || closed.ClosedAt == nil {
				t.Fatalf("close: %+v %v", closed, err)
			}
			if _, err := w.svc.Reopen(ctx, w.p["alice"], r.ID, "", 0); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("reopening a closed request: %v", err)
			}
			if _, err := w.svc.AddComment(ctx, w.p["alice"], r.ID, "Thanks", true, nil); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("commenting on a closed request: %v", err)
			}
		})
	})
}

func TestApprovals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		byUser := w.item(request.NewItem{Name: "Software licence", Approval: &request.Approval{Rule: request.UserApproval, UserID: &w.p["agent2"].UserID},
			Tasks: []request.TaskTemplate{{Name: "Assign licence", GroupID: &w.desk}}})
		byManager := w.item(request.NewItem{Name: "Phone", Approval: &request.Approval{Rule: request.ManagerApproval}})
		byAll := w.item(request.NewItem{Name: "Server", Approval: &request.Approval{Rule: request.GroupApproval, GroupID: &w.buyers, Mode: request.AllMembers}})
		byAny := w.item(request.NewItem{Name: "Monitor", Approval: &request.Approval{Rule: request.GroupApproval, GroupID: &w.buyers}})

		t.Run("named approver", func(t *testing.T) {
			r := w.submit("alice", request.NewRequest{ItemID: byUser.ID, Description: "For the design suite"})
			as := w.approvals(r)
			if r.State != request.AwaitingApproval || len(as) != 1 || *as[0].ApproverID != w.p["agent2"].UserID || len(w.tasks(r)) != 0 {
				t.Fatalf("submitted %s with approvals %+v", r.State, as)
			}
			if w.notifications("agent2") != 1 {
				t.Error("the approver was not told")
			}
			for _, who := range []string{"agent", "admin", "alice"} {
				if _, err := w.svc.Decide(ctx, w.p[who], r.ID, as[0].ID, true, ""); !errors.Is(err, domainerr.ErrForbidden) {
					t.Errorf("%s decided someone else's approval: %v", who, err)
				}
			}
			if _, err := w.svc.Decide(ctx, w.p["agent2"], r.ID, as[0].ID, false, ""); fields(t, err)["comment"] == "" {
				t.Error("a rejection without a reason was accepted")
			}
			pending, err := w.svc.PendingFor(ctx, w.p["agent2"], 50)
			if err != nil || len(pending) != 1 || pending[0].RequestNumber != r.Number || pending[0].RequesterName != "alice" {
				t.Fatalf("pending for the approver: %+v %v", pending, err)
			}
			a, err := w.svc.Decide(ctx, w.p["agent2"], r.ID, as[0].ID, true, "Budget ok")
			if err != nil || a.State != request.Approved || a.DecidedBy == nil || a.Comment != "Budget ok" {
				t.Fatalf("approve: %+v %v", a, err)
			}
			got := w.reload(r)
			if got.State != request.InFulfilment || len(w.tasks(got)) != 1 || w.tasks(got)[0].State != request.TaskOpen {
				t.Fatalf("after approval: %s, tasks %+v", got.State, w.tasks(got))
			}
			if _, err := w.svc.Decide(ctx, w.p["agent2"], r.ID, as[0].ID, true, ""); !errors.Is(err, store.ErrConflict) {
				t.Errorf("deciding twice: %v", err)
			}
			journal, _ := w.svc.Journal(ctx, w.p["alice"], r.ID)
			var decided bool
			for _, e := range journal {
				decided = decided || (e.Kind == "approval" && e.Body == "Budget ok")
			}
			if !decided {
				t.Errorf("the decision is not in the requester's journal: %+v", journal)
			}
		})

		t.Run("manager", func(t *testing.T) {
			_, err := w.svc.Submit(ctx, w.p["alice"], request.NewRequest{ItemID: byManager.ID}, nil)
			if f := fields(t, err); !strings.Contains(f["requester_id"], "no manager") {
				t.Fatalf("no manager: %v", f)
			}
			if _, err := request.SetManager(ctx, w.svc.DB, w.p["admin"], w.p["alice"].UserID, &w.p["alice"].UserID); err == nil {
				t.Fatal("alice manages herself")
			}
			if _, err := request.SetManager(ctx, w.svc.DB, w.p["admin"], w.p["alice"].UserID, &w.p["auditor"].UserID); err == nil {
				t.Fatal("an auditor became a manager")
			}
			m, err := request.SetManager(ctx, w.svc.DB, w.p["admin"], w.p["alice"].UserID, &w.p["boss"].UserID)
			if err != nil || m.ManagerName != "boss" {
				t.Fatalf("set manager: %+v %v", m, err)
			}
			r := w.submit("alice", request.NewRequest{ItemID: byManager.ID})
			as := w.approvals(r)
			// The manager is a requester of the same customer: the approval lets them see it.
			if _, err := w.svc.Get(ctx, w.p["boss"], r.ID); err != nil {
				t.Fatalf("the manager cannot see the request: %v", err)
			}
			if _, err := w.svc.Decide(ctx, w.p["boss"], r.ID, as[0].ID, false, "Not this year"); err != nil {
				t.Fatal(err)
			}
			got := w.reload(r)
			if got.State != request.Rejected || got.ClosedAt == nil {
				t.Fatalf("after rejection: %+v", got)
			}
			if _, err := w.svc.Update(ctx, w.p["agent"], r.ID, request.Patch{Priority: ptr(request.Priority(1))}, 0); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("changing a rejected request: %v", err)
			}
		})

		t.Run("all members of a group", func(t *testing.T) {
			r := w.submit("bob", request.NewRequest{ItemID: byAll.ID})
			as := w.approvals(r)
			if len(as) != 2 {
				t.Fatalf("%d approvals, want one per member", len(as))
			}
			if _, err := w.svc.Get(ctx, w.p["agent"], r.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := w.svc.Decide(ctx, w.p["agent"], r.ID, as[1].ID, true, ""); !errors.Is(err, domainerr.ErrForbidden) {
				t.Fatalf("agent decided agent2's approval: %v", err)
			}
			w.svc.Decide(ctx, w.p["agent"], r.ID, as[0].ID, true, "")
			if w.reload(r).State != request.AwaitingApproval {
				t.Fatal("one of two approvals was enough")
			}
			if _, err := w.svc.Decide(ctx, w.p["agent2"], r.ID, as[1].ID, true, ""); err != nil {
				t.Fatal(err)
			}
			if st := w.reload(r).State; st != request.InFulfilment {
				t.Fatalf("after both approvals: %s", st)
			}
		})

		t.Run("the last of two decisions made at once still moves the request", func(t *testing.T) {
			for round := 0; round < 5; round++ {
				r := w.submit("bob", request.NewRequest{ItemID: byAll.ID})
				as := w.approvals(r)
				errs := make(chan error, 2)
				for i, who := range []string{"agent", "agent2"} {
					go func() {
						_, err := w.svc.Decide(ctx, w.p[who], r.ID, as[i].ID, true, "")
						errs <- err
					}()
				}
				for range 2 {
					if err := <-errs; err != nil {
						t.Fatal(err)
					}
				}
				if st := w.reload(r).State; st != request.InFulfilment {
					t.Fatalf("round %d: both approved, request %s", round, st)
				}
			}
		})

		t.Run("any member of a group, never the requester", func(t *testing.T) {
			r := w.submit("agent", request.NewRequest{ItemID: byAny.ID, RequesterID: &w.p["agent"].UserID})
			as := w.approvals(r)
			if len(as) != 1 || as[0].ApproverID != nil || as[0].GroupID == nil {
				t.Fatalf("approvals %+v, want one for the group", as)
			}
			if _, err := w.svc.Decide(ctx, w.p["agent"], r.ID, as[0].ID, true, ""); !errors.Is(err, domainerr.ErrForbidden) {
				t.Fatalf("the requester approved their own request: %v", err)
			}
			if p, _ := w.svc.PendingFor(ctx, w.p["agent"], 10); len(p) != 0 {
				t.Fatalf("own request listed as pending: %+v", p)
			}
			if _, err := w.svc.Cancel(ctx, w.p["agent"], r.ID, "No longer needed", 0); err != nil {
				t.Fatal(err)
			}
			if as := w.approvals(r); as[0].State != request.Withdrawn {
				t.Fatalf("approval after cancel: %s", as[0].State)
			}
		})

		t.Run("whoever submits for someone else never approves it", func(t *testing.T) {
			told := w.notifications("agent")
			r := w.submit("agent", request.NewRequest{ItemID: byAny.ID, RequesterID: &w.p["alice"].UserID})
			as := w.approvals(r)
			if w.notifications("agent") != told {
				t.Error("the submitter was asked to approve")
			}
			_, err := w.svc.Decide(ctx, w.p["agent"], r.ID, as[0].ID, true, "")
			var refused *domainerr.Refused
			if !errors.As(err, &refused) || !errors.Is(err, domainerr.ErrForbidden) || !strings.Contains(refused.Message, "submitted") {
				t.Fatalf("the submitter approved, or was refused without saying why: %v", err)
			}
			pending, err := w.svc.PendingFor(ctx, w.p["agent"], 50)
			if err != nil {
				t.Fatal(err)
			}
			for _, pa := range pending {
				if pa.RequestNumber == r.Number {
					t.Fatalf("listed as pending for its submitter: %+v", pa)
				}
			}
			if _, err := w.svc.Decide(ctx, w.p["agent2"], r.ID, as[0].ID, true, ""); err != nil {
				t.Fatalf("another member of the group: %v", err)
			}

			all := w.submit("agent", request.NewRequest{ItemID: byAll.ID, RequesterID: &w.p["bob"].UserID})
			if as := w.approvals(all); len(as) != 1 || *as[0].ApproverID != w.p["agent2"].UserID {
				t.Fatalf("approvals of a request the agent submitted: %+v, want agent2's only", as)
			}

			_, err = w.svc.Submit(ctx, w.p["agent2"], request.NewRequest{ItemID: byUser.ID, RequesterID: &w.p["alice"].UserID}, nil)
			if f := fields(t, err); !strings.Contains(f["item_id"], "nobody approves a request they submit") {
				t.Fatalf("the named approver submitted for someone: %v", f)
			}
			if _, err := request.SetManager(ctx, w.svc.DB, w.p["admin"], w.p["amir"].UserID, &w.p["agent"].UserID); err != nil {
				t.Fatal(err)
			}
			_, err = w.svc.Submit(ctx, w.p["agent"], request.NewRequest{ItemID: byManager.ID, RequesterID: &w.p["amir"].UserID}, nil)
			if f := fields(t, err); !strings.Contains(f["requester_id"], "nobody approves a request they submit") {
				t.Fatalf("the manager submitted for their report: %v", f)
			}
			solo, err := org.Groups.Create(ctx, w.db, audit.System, "Solo approvers")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.db.Exec(ctx, "INSERT INTO group_members (group_id, user_id) VALUES (?, ?)", solo.ID, w.p["agent"].UserID); err != nil {
				t.Fatal(err)
			}
			bySolo := w.item(request.NewItem{Name: "Desk lamp", Approval: &request.Approval{Rule: request.GroupApproval, GroupID: &solo.ID}})
			_, err = w.svc.Submit(ctx, w.p["agent"], request.NewRequest{ItemID: bySolo.ID, RequesterID: &w.p["alice"].UserID}, nil)
			if f := fields(t, err); !strings.Contains(f["item_id"], "no active member who could decide") {
				t.Fatalf("a group of the submitter alone: %v", f)
			}
		})
	})
}

func TestSubmitRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		it := w.item(request.NewItem{Name: "Laptop", Form: &laptopForm})
		betaOnly := w.item(request.NewItem{ServiceID: w.private, Name: "Scanner"})
		cases := []struct {
			name  string
			who   string
			in    request.NewRequest
			field string
			frag  string
		}{
			{"no item", "alice", request.NewRequest{}, "item_id", "is required"},
			{"unknown item", "alice", request.NewRequest{ItemID: 424242}, "item_id", "does not exist"},
			{"item not offered reads as missing", "alice", request.NewRequest{ItemID: betaOnly.ID}, "item_id", fmt.Sprintf("item %d does not exist", betaOnly.ID)},
			{"staff for a requester it is not offered to", "agent", request.NewRequest{ItemID: betaOnly.ID, RequesterID: &w.p["alice"].UserID}, "item_id", "not offered"},
			{"requester sets priority", "alice", request.NewRequest{ItemID: it.ID, Priority: ptr(request.Priority(1))}, "priority", "service desk"},
			{"requester for someone else", "alice", request.NewRequest{ItemID: it.ID, RequesterID: &w.p["amir"].UserID}, "requester_id", "themselves"},
			{"bad answer", "alice", request.NewRequest{ItemID: it.ID, Answers: map[string]any{"model": "12 inch", "needed_by": "2099-01-01"}}, "answers.model", "must be one of"},
			{"assignee not an agent", "agent", request.NewRequest{ItemID: it.ID, AssigneeID: &w.p["bob"].UserID,
				Answers: map[string]any{"model": "13 inch", "needed_by": "2099-01-01"}}, "assignee_id", "only an agent or an administrator may hold this role"},
			{"needed by a day that has passed", "alice", request.NewRequest{ItemID: it.ID, Answers: map[string]any{"model": "13 inch", "needed_by": "2020-02-03"}},
				"answers.needed_by", "must be today or later: 2020-02-03 has passed"},
			{"title too long", "alice", request.NewRequest{ItemID: it.ID, Title: strings.Repeat("x", 201)}, "title", "at most 200"},
			{"a user who does not exist", "alice", request.NewRequest{ItemID: it.ID, Answers: map[string]any{"user": 999999}}, "answers.user", "must name an active user (no user 999999)"},
			{"another customer's user reads as missing", "alice", request.NewRequest{ItemID: it.ID, Answers: map[string]any{"user": w.p["bob"].UserID}},
				"answers.user", fmt.Sprintf("must name an active user (no user %d)", w.p["bob"].UserID)},
			{"staff name only whom the requester may see", "agent", request.NewRequest{ItemID: it.ID, RequesterID: &w.p["alice"].UserID,
				Answers: map[string]any{"user": w.p["bob"].UserID}}, "answers.user", fmt.Sprintf("must name an active user (no user %d)", w.p["bob"].UserID)},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := w.svc.Submit(ctx, w.p[c.who], c.in, nil)
				if f := fields(t, err); !strings.Contains(f[c.field], c.frag) {
					t.Fatalf("%s: %q, want %q (all: %v)", c.field, f[c.field], c.frag, f)
				}
			})
		}
		if _, err := w.svc.Submit(ctx, w.p["auditor"], request.NewRequest{ItemID: it.ID}, nil); !errors.Is(err, domainerr.ErrForbidden) {
			t.Fatalf("auditor submitted: %v", err)
		}
		if n := storetest.Count(t, w.db, "SELECT COUNT(*) FROM requests"); n != 0 {
			t.Fatalf("%d requests written by refused submissions", n)
		}
		colleague := w.submit("alice", request.NewRequest{ItemID: it.ID, Answers: map[string]any{"model": "13 inch", "needed_by": "2099-01-01", "user": w.p["amir"].UserID}})
		if colleague.Answers["user"] != w.p["amir"].UserID {
			t.Fatalf("a colleague named in an answer: %v", colleague.Answers)
		}
		r := w.submit("agent", request.NewRequest{ItemID: betaOnly.ID, RequesterID: &w.p["bob"].UserID, Priority: ptr(request.Priority(2)),
			AssigneeID: &w.p["agent"].UserID})
		if r.RequesterID != w.p["bob"].UserID || *r.CustomerID != w.custB || r.Priority != 2 || *r.GroupID != w.desk {
			t.Fatalf("on behalf: %+v", r)
		}
	})
}

func TestVisibilityJournalAndList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		it := w.item(request.NewItem{Name: "Access badge", Tasks: []request.TaskTemplate{{Name: "Print badge"}}})
		var mine []request.Request
		for i := 0; i < 5; i++ {
			mine = append(mine, w.submit("alice", request.NewRequest{ItemID: it.ID}))
		}
		theirs := w.submit("bob", request.NewRequest{ItemID: it.ID})
		r := mine[0]
		if _, err := w.svc.Get(ctx, w.p["bob"], r.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("bob sees alice's request: %v", err)
		}
		if _, err := w.svc.Get(ctx, w.p["amir"], r.ID); err != nil {
			t.Fatalf("a colleague of the same customer: %v", err)
		}
		if _, err := w.svc.Cancel(ctx, w.p["amir"], r.ID, "", 0); !errors.Is(err, domainerr.ErrForbidden) {
			t.Fatalf("a colleague cancelled alice's request: %v", err)
		}
		if _, err := w.svc.AddComment(ctx, w.p["agent"], r.ID, "Printer is warming up", false, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.AddComment(ctx, w.p["alice"], r.ID, "secret", false, nil); !errors.Is(err, domainerr.ErrForbidden) {
			t.Fatalf("requester wrote a work note: %v", err)
		}
		if _, err := w.svc.AddComment(ctx, w.p["agent"], r.ID, "Ready on Monday", true, nil); err != nil {
			t.Fatal(err)
		}
		if before, after := w.seen.last(); before == nil || before.Responded || !after.Responded {
			t.Fatalf("first staff reply not observed as a response: %+v -> %+v", before, after)
		}
		if w.reload(r).FirstResponseAt == nil {
			t.Fatal("first_response_at not set by the first public staff reply")
		}
		journal, err := w.svc.Journal(ctx, w.p["alice"], r.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range journal {
			if e.Kind == "work_note" || e.Kind == "task" {
				t.Errorf("requester sees a %s entry", e.Kind)
			}
		}
		staff, _ := w.svc.Journal(ctx, w.p["auditor"], r.ID)
		if len(staff) <= len(journal) {
			t.Errorf("staff see %d entries, the requester %d", len(staff), len(journal))
		}
		if _, err := w.db.Exec(ctx, "UPDATE request_journal SET body = 'x'"); err == nil {
			t.Error("the journal accepted an update")
		}
		if _, err := w.db.Exec(ctx, "DELETE FROM request_journal"); err == nil {
			t.Error("the journal accepted a delete")
		}

		page, err := w.svc.List(ctx, w.p["bob"], request.Filter{})
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != theirs.ID {
			t.Fatalf("bob's list: %+v %v", page, err)
		}
		var ids []int64
		f := request.Filter{Sort: "number", Limit: 2, RequesterID: w.p["alice"].UserID}
		for {
			page, err := w.svc.List(ctx, w.p["agent"], f)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range page.Items {
				ids = append(ids, x.ID)
			}
			if page.NextCursor == "" {
				break
			}
			f.Cursor = page.NextCursor
		}
		if len(ids) != 5 || ids[0] != mine[0].ID || ids[4] != mine[4].ID {
			t.Fatalf("paged ids %v", ids)
		}
		for _, sort := range []string{"-created_at", "updated_at"} {
			seen := map[int64]bool{}
			f := request.Filter{Sort: sort, Limit: 4}
			for pages := 0; ; pages++ {
				page, err := w.svc.List(ctx, w.p["agent"], f)
				if err != nil || pages > 3 {
					t.Fatalf("%s: %v after %d pages", sort, err, pages)
				}
				for _, x := range page.Items {
					if seen[x.ID] {
						t.Fatalf("%s: %s twice", sort, x.Number)
					}
					seen[x.ID] = true
				}
				if f.Cursor = page.NextCursor; f.Cursor == "" {
					break
				}
			}
			if len(seen) != 6 {
				t.Fatalf("%s: %d requests paged, want 6", sort, len(seen))
			}
		}
		for _, c := range []struct {
			f    request.Filter
			want int
		}{
			{request.Filter{States: []request.State{request.InFulfilment}}, 6},
			{request.Filter{CustomerID: w.custB}, 1},
			{request.Filter{GroupIDs: []int64{w.desk}, Sort: "-updated_at"}, 6},
			{request.Filter{Unassigned: true, ItemID: it.ID, ServiceID: w.service}, 6},
			{request.Filter{Priorities: []request.Priority{1}}, 0},
		} {
			page, err := w.svc.List(ctx, w.p["agent"], c.f)
			if err != nil || len(page.Items) != c.want {
				t.Errorf("filter %+v: %d items, %v; want %d", c.f, len(page.Items), err, c.want)
			}
		}
		if _, err := w.svc.List(ctx, w.p["agent"], request.Filter{Sort: "colour"}); fields(t, err)["sort"] == "" {
			t.Error("a bad sort was accepted")
		}
		if _, err := w.svc.List(ctx, w.p["agent"], request.Filter{Cursor: "nonsense"}); fields(t, err)["cursor"] == "" {
			t.Error("a bad cursor was accepted")
		}
	})
}

func TestAutoCloseAndNotifications(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		it := w.item(request.NewItem{Name: "Mouse"})
		r := w.submit("alice", request.NewRequest{ItemID: it.ID})
		if _, err := w.svc.Update(ctx, w.p["agent"], r.ID, request.Patch{State: ptr(request.Fulfilled)}, 0); err != nil {
			t.Fatal(err)
		}
		payload, _ := json.Marshal(map[string]int64{"request_id": r.ID})
		var re *jobs.Reschedule
		if err := w.svc.AutoClose(ctx, jobs.Job{Payload: payload}); !errors.As(err, &re) {
			t.Fatalf("auto-close before it is due: %v", err)
		}
		if _, err := w.db.Exec(ctx, "UPDATE requests SET fulfilled_at = ? WHERE id = ?", store.TS(time.Now().Add(-48*time.Hour)), r.ID); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.AutoClose(ctx, jobs.Job{Payload: payload}); err != nil {
			t.Fatal(err)
		}
		if got := w.reload(r); got.State != request.Closed || got.ClosedAt == nil {
			t.Fatalf("after auto-close: %s", got.State)
		}

		list, next, err := notify.List(ctx, w.db, w.p["alice"].UserID, notify.Filter{Limit: 10})
		if err != nil || len(list) == 0 || next != 0 || !strings.Contains(list[0].Title, r.Number) || list[0].Link != "/requests/"+r.Number {
			t.Fatalf("alice's notifications: %+v %v", list, err)
		}
		if _, err := notify.MarkRead(ctx, w.db, w.p["bob"].UserID, list[0].ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("bob marked alice's notification read: %v", err)
		}
		n, err := notify.MarkRead(ctx, w.db, w.p["alice"].UserID, list[0].ID)
		if err != nil || n.ReadAt == nil {
			t.Fatalf("mark read: %+v %v", n, err)
		}
		unread, _ := notify.Unread(ctx, w.db, w.p["alice"].UserID)
		if unread != len(list)-1 {
			t.Fatalf("%d unread, want %d", unread, len(list)-1)
		}
		if _, err := notify.MarkAllRead(ctx, w.db, w.p["alice"].UserID); err != nil {
			t.Fatal(err)
		}
		if unread, _ := notify.Unread(ctx, w.db, w.p["alice"].UserID); unread != 0 {
			t.Fatalf("%d unread after marking all", unread)
		}
	})
}

// The service desk chooses, per task, whether its note reaches the
// requester; an internal note never does, and notes from before the choice
// are internal.
func TestTaskNoteVisibility(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newWorld(t, e)
		ctx := context.Background()
		it := w.item(request.NewItem{Name: "Desk move", Tasks: []request.TaskTemplate{{Name: "Move the desk", GroupID: &w.desk}}})
		r := w.submit("alice", request.NewRequest{ItemID: it.ID})
		first := w.tasks(r)[0]
		if first.NoteVisibility != request.NoteInternal {
			t.Fatalf("a new task's note is %q, want internal", first.NoteVisibility)
		}
		secret := "Supplier owes us a discount"
		if _, err := w.svc.UpdateTask(ctx, w.p["agent"], r.ID, first.ID, request.TaskPatch{Note: &secret}, 0); err != nil {
			t.Fatal(err)
		}
		shown := request.NoteRequester
		second, err := w.svc.AddTask(ctx, w.p["agent"], r.ID, request.NewTask{Name: "Reconnect", Note: "We come on Friday", NoteVisibility: &shown})
		if err != nil {
			t.Fatal(err)
		}
		bad := request.NoteVisibility("everyone")
		if _, err := w.svc.AddTask(ctx, w.p["agent"], r.ID, request.NewTask{Name: "x", NoteVisibility: &bad}); fields(t, err)["note_visibility"] == "" {
			t.Fatalf("an unknown visibility: %v", err)
		}
		// A note written before the choice existed.
		if _, err := w.db.Exec(ctx, `INSERT INTO request_tasks (request_id, name, stage, state, note, created_at, updated_at)
			VALUES (?, 'Old task', 1, 'pending', 'Written long ago', ?, ?)`, r.ID, store.TS(time.Now()), store.TS(time.Now())); err != nil {
			t.Fatal(err)
		}
		notes := func(who string) map[string]string {
			ts, err := w.svc.Tasks(ctx, w.p[who], r.ID)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]string{}
			for _, x := range ts {
				out[x.Name] = x.Note
			}
			return out
		}
		staff, requester := notes("agent"), notes("alice")
		if staff["Move the desk"] != secret || staff["Reconnect"] != "We come on Friday" || staff["Old task"] != "Written long ago" {
			t.Fatalf("staff read %v", staff)
		}
		if requester["Move the desk"] != "" || requester["Old task"] != "" || requester["Reconnect"] != "We come on Friday" {
			t.Fatalf("the requester read %v", requester)
		}
		internal := request.NoteInternal
		if _, err := w.svc.UpdateTask(ctx, w.p["agent"], r.ID, second.ID, request.TaskPatch{NoteVisibility: &internal}, 0); err != nil {
			t.Fatal(err)
		}
		if n := notes("alice")["Reconnect"]; n != "" {
			t.Fatalf("a note made internal again still reaches the requester: %q", n)
		}
		journal, err := w.svc.Journal(ctx, w.p["alice"], r.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range journal {
			if strings.Contains(e.Body, "discount") || e.Kind == "task" {
				t.Fatalf("the requester's journal shows task work: %+v", e)
			}
		}
	})
}
