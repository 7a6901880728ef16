package activity_test

import (
	"context"
	"encoding/json"
	"testing"

	"steward/internal/activity"
	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/httpx"
	"steward/internal/incident"
	"steward/internal/notify"
	"steward/internal/patch"
	"steward/internal/store/storetest"
)

func principal(t *testing.T, e storetest.Engine, email string, role auth.Role) *auth.Principal {
	t.Helper()
	u, err := auth.CreateUser(context.Background(), e.DB, audit.System, auth.NewUser{Email: email, Name: email, Role: role, Password: "a-long-password"})
	if err != nil {
		t.Fatal(err)
	}
	return &auth.Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Role: role}
}

func kinds(t *testing.T, e storetest.Engine) []activity.Entry {
	t.Helper()
	es, err := activity.List(context.Background(), e.DB, activity.Filter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func notes(t *testing.T, e storetest.Engine, userID int64) []notify.Notification {
	t.Helper()
	ns, _, err := notify.List(context.Background(), e.DB, userID, notify.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// A ticket's life reaches the feed as created, changed and commented
// entries, and the agent it is given to hears of it unless they took it.
func TestTicketWritesReachTheFeedAndTheAssignee(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		ann := principal(t, e, "ann@example.test", auth.Agent)
		ben := principal(t, e, "ben.lee@example.test", auth.Agent)
		svc := incident.NewService(e.DB, 0)
		svc.Observer = activity.Observer{}

		inc, err := svc.Create(httpx.WithPrincipal(ctx, ann), ann, incident.NewIncident{Title: "Printer jammed", AssigneeID: &ben.UserID}, nil)
		if err != nil {
			t.Fatal(err)
		}
		es := kinds(t, e)
		if len(es) != 1 || es[0].Kind != activity.RecordCreated || es[0].Ref != inc.Number || es[0].Entity != "incident" {
			t.Fatalf("after creation the feed holds %+v", es)
		}
		if ns := notes(t, e, ben.UserID); len(ns) != 1 || ns[0].Kind != activity.KindAssigned || ns[0].Link != "/incidents/"+inc.Number {
			t.Fatalf("ben, given the incident by ann, was told %+v", ns)
		}

		// Ann takes it herself: the feed records the move, nobody is told.
		if _, err := svc.Update(httpx.WithPrincipal(ctx, ann), ann, inc.ID, incident.Patch{AssigneeID: patch.Of(ann.UserID)}, 0); err != nil {
			t.Fatal(err)
		}
		es = kinds(t, e)
		if len(es) != 2 || es[1].Kind != activity.RecordChanged {
			t.Fatalf("after reassignment the feed holds %+v", es)
		}
		var data struct {
			Changes map[string]activity.Change `json:"changes"`
		}
		if err := json.Unmarshal(es[1].Data, &data); err != nil {
			t.Fatal(err)
		}
		if c, ok := data.Changes["assignee_id"]; !ok || c.New == c.Old || len(data.Changes) != 1 {
			t.Errorf("the change entry lists %+v, want only the assignee", data.Changes)
		}
		// A chat tool shows the summary: names and words, not ids and codes.
		if want := inc.Number + ": Assignee " + ben.Name + " → " + ann.Name; es[1].Summary != want {
			t.Errorf("the change reads %q, want %q", es[1].Summary, want)
		}
		if ns := notes(t, e, ann.UserID); len(ns) != 0 {
			t.Errorf("ann was told of her own assignment: %+v", ns)
		}

		// A work note naming ben by the start of his address reaches him;
		// a name that fits nobody reaches nobody.
		if _, err := svc.AddComment(ctx, ann, inc.ID, "@ben.lee can you look? cc @nobody", false, nil); err != nil {
			t.Fatal(err)
		}
		es = kinds(t, e)
		if len(es) != 3 || es[2].Kind != activity.RecordCommented {
			t.Fatalf("after a work note the feed holds %+v", es)
		}
		ns := notes(t, e, ben.UserID)
		if len(ns) != 2 || ns[0].Kind != activity.KindMentioned || ns[0].Params["who"] != ann.Name {
			t.Fatalf("ben, mentioned, has %+v", ns)
		}
	})
}

func TestMentionedNeedsOneActiveStaffMember(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		kim := principal(t, e, "kim@a.test", auth.Agent)
		principal(t, e, "kim@b.test", auth.Agent)
		zoe := principal(t, e, "zoe@a.test", auth.Admin)
		principal(t, e, "rita@a.test", auth.Requester)
		cases := []struct {
			text string
			want []int64
		}{
			{"@zoe please", []int64{zoe.UserID}},
			{"@kim is two people", nil},
			{"ask @kim@a.test.", []int64{kim.UserID}},
			{"@rita is not staff", nil},
			{"mail zoe@a.test is not a mention", nil},
			{"@z%e does not match by pattern", nil},
		}
		for _, c := range cases {
			got, err := activity.Mentioned(ctx, e.DB, c.text)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) || (len(got) == 1 && got[0] != c.want[0]) {
				t.Errorf("%q mentions %v, want %v", c.text, got, c.want)
			}
		}
	})
}
