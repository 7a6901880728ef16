package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"steward/internal/api"
	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/record"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// A kind the product does not have: a toy with a title, an owner and two
// states. Declaring it is all it takes for the shared API to give it
// search by number and words, links, attachments, bulk edits and saved
// filters. This test is the conformance suite a new kind passes.

// The toy area declares its permissions with their default roles, as an
// area does in its own package; requesters see their own toys only.
var (
	toyRead    = auth.Declare("toy:read", "Read toys", auth.Admin, auth.Agent, auth.Requester)
	toyUpdate  = auth.Declare("toy:update", "Change toys", auth.Admin, auth.Agent)
	toyComment = auth.Declare("toy:comment", "Comment on toys", auth.Admin, auth.Agent, auth.Requester)
)

// toyMoves is the toy's state machine: state -> the states it may move to.
var toyMoves = map[string][]string{"open": {"done"}, "done": {"open"}}

func toyKind() *record.Kind {
	load := func(ctx context.Context, q store.Querier, p *auth.Principal, id int64) (record.Summary, error) {
		var s record.Summary
		var owner int64
		err := store.ScanErr(q.QueryRow(ctx, "SELECT id, title, state, owner_id FROM toys WHERE id = ?", id).Scan(&s.ID, &s.Title, &s.State, &owner))
		if err != nil {
			return s, err
		}
		if !p.IsStaff() && owner != p.UserID {
			return record.Summary{}, store.ErrNotFound
		}
		s.Kind, s.Number, s.URL = "toy", fmt.Sprintf("TOY-%06d", id), fmt.Sprintf("/toys/TOY-%06d", id)
		return s, nil
	}
	note := func(ctx context.Context, tx *store.Tx, p *auth.Principal, id int64, field, old, new string, public bool) error {
		_, err := tx.Exec(ctx, "INSERT INTO toy_journal (toy_id, line) VALUES (?, ?)", id, field+": "+old+" -> "+new)
		return err
	}
	k := &record.Kind{
		Name: "toy", Label: "Toy", Prefix: "TOY-", Path: "toys",
		Read: toyRead, Update: toyUpdate, Comment: toyComment,
		Load: load, Note: note,
		Entry:        func(context.Context, store.Querier, int64, int64) (bool, error) { return false, store.ErrNotFound },
		FilterFields: []string{"state", "q"},
	}
	return k // Search and Patch need the test's database; the test sets them
}

func TestToyKindConformance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		idCol := "INTEGER PRIMARY KEY AUTOINCREMENT"
		if e.DB.Dialect() == store.Postgres {
			idCol = "BIGSERIAL PRIMARY KEY"
		}
		err := e.DB.InTx(ctx, func(tx *store.Tx) error {
			for _, ddl := range []string{
				"CREATE TABLE toys (id " + idCol + ", title TEXT NOT NULL, state TEXT NOT NULL, owner_id BIGINT NOT NULL)",
				"CREATE TABLE toy_journal (id " + idCol + ", toy_id BIGINT NOT NULL, line TEXT NOT NULL)",
			} {
				if _, err := tx.Exec(ctx, ddl); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		k := toyKind()
		k.Search = func(ctx context.Context, p *auth.Principal, words string, limit int) ([]record.Summary, error) {
			rows, err := e.DB.Query(ctx, "SELECT id FROM toys WHERE lower(title) LIKE ? ORDER BY id DESC LIMIT ?", "%"+strings.ToLower(words)+"%", limit)
			if err != nil {
				return nil, err
			}
			var ids []int64
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return nil, err
				}
				ids = append(ids, id)
			}
			rows.Close()
			var out []record.Summary
			for _, id := range ids {
				if s, err := k.Load(ctx, e.DB, p, id); err == nil {
					out = append(out, s)
				}
			}
			return out, rows.Err()
		}
		k.Patch = func(ctx context.Context, tx *store.Tx, p *auth.Principal, id int64, set map[string]any) error {
			var in struct {
				State *string `json:"state"`
			}
			if err := record.DecodeSet(set, &in); err != nil {
				return err
			}
			cur, err := k.Load(ctx, tx, p, id)
			if err != nil {
				return err
			}
			if in.State == nil || *in.State == cur.State {
				return nil
			}
			if !slices.Contains(toyMoves[cur.State], *in.State) {
				return domainerr.Field("state", "a %s toy cannot become %s", cur.State, *in.State)
			}
			if _, err := tx.Exec(ctx, "UPDATE toys SET state = ? WHERE id = ?", *in.State, id); err != nil {
				return err
			}
			return k.Note(ctx, tx, p, id, "state", cur.State, *in.State, true)
		}

		// Users and the toys they own.
		tokens := map[string]string{}
		users := map[string]int64{}
		for _, u := range []struct {
			key  string
			role auth.Role
		}{{"agent", auth.Agent}, {"alice", auth.Requester}, {"bob", auth.Requester}} {
			user, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: u.key + "@toy.test", Name: u.key, Role: u.role, Password: "a-long-password"})
			if err != nil {
				t.Fatal(err)
			}
			secret, _, err := auth.CreateToken(ctx, e.DB, audit.System, user.ID, "test")
			if err != nil {
				t.Fatal(err)
			}
			tokens[u.key], users[u.key] = secret, user.ID
		}
		for _, toy := range []struct {
			title string
			owner string
		}{{"Red rocket", "alice"}, {"Blue rocket", "agent"}, {"Yellow kite", "alice"}} {
			err := e.DB.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, "INSERT INTO toys (title, state, owner_id) VALUES (?, 'open', ?)", toy.title, users[toy.owner])
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}

		// The shared API over a kernel that knows only toys.
		kernel := record.NewKernel(e.DB, 1<<20, k)
		mux := http.NewServeMux()
		var routes []httpx.Route
		(&api.API{DB: e.DB, Records: kernel, Log: slog.New(slog.DiscardHandler)}).Register(mux, &routes)
		ts := httptest.NewServer(mux)
		t.Cleanup(ts.Close)
		call := func(who, method, path string, body any) (int, string) {
			t.Helper()
			var rd io.Reader
			if body != nil {
				raw, _ := json.Marshal(body)
				rd = strings.NewReader(string(raw))
			}
			req, _ := http.NewRequest(method, ts.URL+path, rd)
			if rd != nil {
				req.Header.Set("Content-Type", "application/json")
			}
			req.Header.Set("Authorization", "Bearer "+tokens[who])
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		expect := func(who, method, path string, body any, status int, frags ...string) string {
			t.Helper()
			got, b := call(who, method, path, body)
			if got != status {
				t.Fatalf("%s %s as %s: %d, want %d: %s", method, path, who, got, status, b)
			}
			for _, f := range frags {
				if !strings.Contains(b, f) {
					t.Fatalf("%s %s as %s lacks %s: %s", method, path, who, f, b)
				}
			}
			return b
		}

		// Search by number and by words, as each caller may see.
		expect("alice", "GET", "/api/v1/search?q=toy-1", nil, 200, `"number":"TOY-000001"`, `"kind":"toy"`)
		expect("alice", "GET", "/api/v1/search?q=TOY-000002", nil, 200, `"items":[]`)
		if b := expect("alice", "GET", "/api/v1/search?q=rocket", nil, 200, "TOY-000001"); strings.Contains(b, "TOY-000002") {
			t.Fatalf("alice sees the agent's toy: %s", b)
		}
		expect("agent", "GET", "/api/v1/search?q=rocket", nil, 200, "TOY-000001", "TOY-000002")

		// Links.
		expect("agent", "POST", "/api/v1/toys/TOY-000001/links", map[string]string{"type": "parent", "target": "toy-3"}, 201, `"number":"TOY-000003"`)
		expect("agent", "POST", "/api/v1/toys/TOY-000003/links", map[string]string{"type": "parent", "target": "TOY-000001"}, 422, `"target"`)
		expect("alice", "GET", "/api/v1/toys/3/links", nil, 200, `"type":"child"`, "TOY-000001")
		expect("bob", "GET", "/api/v1/toys/3/links", nil, 404)
		expect("alice", "POST", "/api/v1/toys/TOY-000001/links", map[string]string{"type": "related", "target": "TOY-000003"}, 403)

		// Attachments, with the kind's own size limit.
		upload := func(who, path, content string) (int, string) {
			pr, pw := io.Pipe()
			mw := multipart.NewWriter(pw)
			go func() {
				fw, _ := mw.CreateFormFile("file", "plan.txt")
				io.Copy(fw, strings.NewReader(content))
				pw.CloseWithError(mw.Close())
			}()
			req, _ := http.NewRequest("POST", ts.URL+path, pr)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			req.Header.Set("Authorization", "Bearer "+tokens[who])
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		if st, b := upload("alice", "/api/v1/toys/TOY-000001/attachments", "how to build it"); st != 201 || !strings.Contains(b, `"kind":"toy"`) {
			t.Fatalf("upload: %d %s", st, b)
		}
		if st, _ := upload("alice", "/api/v1/toys/TOY-000001/attachments", strings.Repeat("x", 1<<20+1)); st != 413 {
			t.Fatalf("a file over the kernel's limit: %d", st)
		}
		expect("alice", "GET", "/api/v1/attachments/1", nil, 200, "how to build it")
		expect("bob", "GET", "/api/v1/attachments/1", nil, 404)

		// Bulk edits follow the kind's state machine, row by row.
		expect("agent", "POST", "/api/v1/toys/bulk", map[string]any{"refs": []string{"TOY-000001", "TOY-000002", "TOY-000099"}, "set": map[string]string{"state": "done"}}, 200,
			`{"ref":"TOY-000001","status":200}`, `{"ref":"TOY-000002","status":200}`, `{"ref":"TOY-000099","status":404`)
		expect("agent", "POST", "/api/v1/toys/bulk", map[string]any{"refs": []string{"TOY-000001"}, "set": map[string]string{"state": "lost"}}, 200,
			`"status":422`, `a done toy cannot become lost`)
		expect("agent", "POST", "/api/v1/toys/bulk", map[string]any{"refs": []string{"TOY-000001"}, "set": map[string]string{"colour": "red"}}, 200, `"colour":"cannot be set here"`)

		// Saved filters know the kind's list fields.
		expect("agent", "POST", "/api/v1/saved-filters", map[string]any{"kind": "toy", "name": "Open toys", "query": "state=open"}, 201)
		expect("agent", "POST", "/api/v1/saved-filters", map[string]any{"kind": "toy", "name": "x", "query": "colour=red"}, 422, `colour`)
		expect("agent", "POST", "/api/v1/saved-filters", map[string]any{"kind": "incident", "name": "x", "query": ""}, 422, `"kind"`)

		// The toy's own journal heard about everything.
		var lines []string
		rows, err := e.DB.Query(ctx, "SELECT line FROM toy_journal WHERE toy_id = 1 ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var l string
			if err := rows.Scan(&l); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, l)
		}
		rows.Close()
		got := strings.Join(lines, "\n")
		for _, want := range []string{"link:  -> parent TOY-000003", "attachment:  -> plan.txt", "state: open -> done"} {
			if !strings.Contains(got, want) {
				t.Fatalf("the toy's journal lacks %q:\n%s", want, got)
			}
		}
	})
}
