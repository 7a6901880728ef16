package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"steward/internal/audit"
	"steward/internal/auth"
)

type picked struct {
	Items []struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
		Note string `json:"note"`
	} `json:"items"`
}

func pickNames(t *testing.T, p page) []string {
	t.Helper()
	if p.status != http.StatusOK {
		t.Fatalf("picker answered %d: %s", p.status, p.body)
	}
	var got picked
	if err := json.Unmarshal([]byte(p.body), &got); err != nil {
		t.Fatalf("picker answer %q: %v", p.body, err)
	}
	names := []string{}
	for _, it := range got.Items {
		names = append(names, it.Name+" <"+it.Note+">")
	}
	return names
}

func TestUserPicker(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	for i := range 25 {
		if _, err := auth.CreateUser(ctx, s.app.DB, audit.System, auth.NewUser{Email: fmt.Sprintf("pat%02d@steward.demo", i),
			Name: fmt.Sprintf("Pat Picker %02d", i), Role: auth.Agent, Password: "a-long-password"}); err != nil {
			t.Fatal(err)
		}
	}
	agent := s.signedIn("agent")
	if got := pickNames(t, agent.get("/pick/users?q=PICKER")); len(got) != 20 || got[0] != "Pat Picker 00 <pat00@steward.demo>" {
		t.Fatalf("25 people match, any letter case; got %d: %q", len(got), got)
	}
	if got := pickNames(t, agent.get("/pick/users?q=pat07%40")); len(got) != 1 || got[0] != "Pat Picker 07 <pat07@steward.demo>" {
		t.Fatalf("by e-mail: %q", got)
	}
	// Wildcards are matched as themselves.
	if got := pickNames(t, agent.get("/pick/users?q=%25")); len(got) != 0 {
		t.Fatalf("a %% matched %q", got)
	}
	if got := pickNames(t, agent.get("/pick/users?q=steward.demo&role=requester")); len(got) == 0 {
		t.Fatal("no requesters found")
	} else {
		for _, n := range got {
			var role string
			if err := s.app.DB.QueryRow(ctx, "SELECT role FROM users WHERE ? LIKE name || ' <%'", n).Scan(&role); err != nil || role != "requester" {
				t.Fatalf("%s is a %q (%v), asked for requesters", n, role, err)
			}
		}
	}
	for _, n := range pickNames(t, agent.get("/pick/users?q=&role=agent")) {
		var role string
		if err := s.app.DB.QueryRow(ctx, "SELECT role FROM users WHERE ? LIKE name || ' <%'", n).Scan(&role); err != nil || (role != "agent" && role != "admin") {
			t.Fatalf("%s is a %q (%v), asked for those work is assigned to", n, role, err)
		}
	}
	if got := pickNames(t, s.signedIn("auditor").get("/pick/users?q=pat01")); len(got) != 1 {
		t.Fatalf("the auditor reads users: %q", got)
	}
	// Requesters may not list people, their organisation's or others'.
	if p := s.signedIn("requester").get("/pick/users?q=a"); p.status != http.StatusForbidden {
		t.Fatalf("a requester listing people: %d %s", p.status, p.body)
	}
}

func TestCIPicker(t *testing.T) {
	s := newSite(t)
	var name string
	if err := s.app.DB.QueryRow(context.Background(), "SELECT name FROM cis ORDER BY id LIMIT 1").Scan(&name); err != nil {
		t.Fatal(err)
	}
	agent := s.signedIn("agent")
	got := pickNames(t, agent.get("/pick/cis?q="+name[:3]))
	if len(got) == 0 || len(got) > 20 {
		t.Fatalf("CIs like %q: %q", name[:3], got)
	}
	if got := pickNames(t, agent.get("/pick/cis?q=")); len(got) != 20 {
		t.Fatalf("the first CIs: %d", len(got))
	}
	if p := s.signedIn("requester").get("/pick/cis?q=" + name[:3]); p.status != http.StatusForbidden {
		t.Fatalf("a requester listing CIs: %d", p.status)
	}
}
