package auth_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// A group's work, notices and approvals go to its active members: the
// one reader of a group's members lists them with their roles, leaves out
// deactivated accounts and other groups' members, and answers an empty
// group with an empty list.
func TestGroupMembers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.DB
		group := func(name string) int64 {
			var id int64
			err := db.InTx(ctx, func(tx *store.Tx) error {
				return tx.QueryRow(ctx, "INSERT INTO support_groups (name, created_at, updated_at) VALUES (?, ?, ?) RETURNING id",
					name, store.TS(time.Now()), store.TS(time.Now())).Scan(&id)
			})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		desk, network, empty := group("Desk"), group("Network"), group("Empty")
		user := func(email string, role auth.Role, groups ...int64) int64 {
			u, err := auth.CreateUser(ctx, db, audit.System, auth.NewUser{Email: email, Name: email, Role: role, Password: "a-long-password", GroupIDs: groups})
			if err != nil {
				t.Fatal(err)
			}
			return u.ID
		}
		ann := user("ann@example.com", auth.Agent, desk)
		bob := user("bob@example.com", auth.Admin, desk, network)
		gone := user("gone@example.com", auth.Agent, desk)
		user("nina@example.com", auth.Agent, network)
		off := false
		if _, err := auth.UpdateUser(ctx, db, audit.System, gone, auth.UserPatch{Active: &off}, 0); err != nil {
			t.Fatal(err)
		}

		got, err := auth.GroupMembers(ctx, db, desk)
		if err != nil {
			t.Fatal(err)
		}
		want := []auth.Member{{UserID: ann, Role: auth.Agent}, {UserID: bob, Role: auth.Admin}}
		if !slices.Equal(got, want) {
			t.Fatalf("desk members %v, want %v (the deactivated account left out)", got, want)
		}
		if !got[1].Principal().Can(auth.UserWrite) || got[0].Principal().Can(auth.UserWrite) {
			t.Error("a member's principal does not carry their role")
		}
		ids, err := auth.GroupMemberIDs(ctx, db, desk)
		if err != nil || !slices.Equal(ids, []int64{ann, bob}) {
			t.Fatalf("desk member ids %v (%v), want %v", ids, err, []int64{ann, bob})
		}
		ids, err = auth.GroupMemberIDs(ctx, db, empty)
		if err != nil || ids == nil || len(ids) != 0 {
			t.Fatalf("empty group's members %#v (%v), want an empty list", ids, err)
		}
	})
}
