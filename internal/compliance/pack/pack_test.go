package pack

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/clauses"
	"steward/internal/compliance"
	"steward/internal/demo"
	"steward/internal/incident"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// Test rules: incidents on record meet 8.6.1; internal audit is not met.
var (
	_ = compliance.Register(compliance.Rule{ID: "test-pack-incidents", Clause: "8.6.1", Title: "Incidents are on record",
		Todo: "Record incidents.", Eval: func(ctx context.Context, in compliance.Input) (compliance.Result, error) {
			var n float64
			if err := in.Q.QueryRow(ctx, "SELECT COUNT(*) FROM incidents").Scan(&n); err != nil {
				return compliance.Result{}, err
			}
			st := compliance.NoData
			if n > 0 {
				st = compliance.Met
			}
			return compliance.Result{Status: st, Summary: "Incidents recorded.", Period: &compliance.Period{From: in.Now.AddDate(0, 0, -90), To: in.Now},
				Numbers: []compliance.Number{{Label: "Incidents", Value: n, Unit: "count", URL: "/incidents"}}}, nil
		}})
	_ = compliance.Register(compliance.Rule{ID: "test-pack-audit", Clause: "9.2", Title: "An internal audit in the last year",
		Todo: "Plan and hold an internal audit.", Eval: func(ctx context.Context, in compliance.Input) (compliance.Result, error) {
			return compliance.Result{Status: compliance.NotMet, Summary: "No audit was reported."}, nil
		}})
)

type opened struct {
	files map[string][]byte
	order []string
}

func openZip(t *testing.T, b []byte) opened {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	o := opened{files: map[string][]byte{}}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		buf, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		o.files[f.Name] = buf
		o.order = append(o.order, f.Name)
	}
	return o
}

// The audit pack holds what an auditor checks, hashed in the manifest,
// and nothing secret.
func TestAuditPack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		svc := incident.NewService(e.DB, 7*24*time.Hour)
		if err := demo.SeedDesk(ctx, e.DB, svc, 40, nil); err != nil {
			t.Fatal(err)
		}
		u, err := auth.CreateUser(ctx, e.DB, audit.System, auth.NewUser{Email: "auditor@pack.test", Name: "Ada Auditor", Role: auth.Auditor, Password: "a-long-password-x"})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := auth.CreateToken(ctx, e.DB, audit.System, u.ID, "t"); err != nil {
			t.Fatal(err)
		}
		var pwHash string
		if err := e.DB.QueryRow(ctx, "SELECT password_hash FROM users WHERE id = ?", u.ID).Scan(&pwHash); err != nil || pwHash == "" {
			t.Fatalf("password hash %q %v", pwHash, err)
		}
		admin := audit.Actor{Type: "user", ID: u.ID, Name: u.Email}
		if _, err := compliance.Assess(ctx, e.DB, admin, clauses.Primary, "9.2", compliance.AssessInput{Rating: "met"}); err != nil {
			t.Fatal(err)
		}
		// A password typed into the e-mail box of the sign-in form stays in
		// the trail, not in the pack.
		typed := "Summer2026!typed-in-the-wrong-box"
		if err := e.DB.InTx(ctx, func(tx *store.Tx) error {
			return audit.Record(ctx, tx, audit.Actor{Type: "anonymous", Name: typed}, "login_failed", "user", 0,
				map[string]any{"email": typed, "ip": "127.0.0.1"})
		}); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		m, err := Write(ctx, e.DB, &buf, Options{Standard: clauses.Primary, Actor: admin})
		if err != nil {
			t.Fatal(err)
		}
		z := openZip(t, buf.Bytes())
		incidents := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM incidents")

		// The manifest names every other file with its hash, and the snapshot.
		var got Manifest
		if err := json.Unmarshal(z.files["manifest.json"], &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Files) != len(z.files)-1 || len(got.Files) != len(m.Files) {
			t.Errorf("manifest lists %d files, zip holds %d", len(got.Files), len(z.files))
		}
		for _, f := range got.Files {
			sum := sha256.Sum256(z.files[f.Name])
			if hex.EncodeToString(sum[:]) != f.SHA256 || int64(len(z.files[f.Name])) != f.Bytes {
				t.Errorf("%s: manifest hash %s does not match the file", f.Name, f.SHA256)
			}
		}
		snap, err := compliance.Latest(ctx, e.DB, clauses.Primary)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(z.files["evidence.json"])
		if !bytes.Equal(z.files["evidence.json"], snap.Body) || hex.EncodeToString(sum[:]) != snap.SHA256 || got.Snapshot.SHA256 != snap.SHA256 || got.Snapshot.ID != snap.ID {
			t.Errorf("evidence.json is not snapshot %d as stored", snap.ID)
		}
		seq, head, _ := audit.Head(ctx, e.DB)
		if got.AuditChainHead == "" || !strings.HasSuffix(got.AuditChainHead, ":"+head) || got.ExportedBy.Name != u.Email {
			t.Errorf("chain head %q (trail at %d:%s), exported by %+v", got.AuditChainHead, seq, head, got.ExportedBy)
		}
		if n := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM audit_log WHERE action = 'export' AND entity = 'compliance_audit_pack' AND actor_id = ?", u.ID); n != 1 {
			t.Errorf("%d exports in the audit trail", n)
		}

		// The report reads offline and shows the evidence and the person's rating.
		page := string(z.files["index.html"])
		if regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?\s*(https?:)?//`).MatchString(page) || regexp.MustCompile(`(?i)<script[^>]*src`).MatchString(page) || regexp.MustCompile(`(?i)url\(\s*["']?(https?:)?//`).MatchString(page) {
			t.Errorf("index.html references outside resources")
		}
		for _, want := range []string{"Incidents are on record", fmt.Sprintf("Incidents: <strong>%d</strong>", incidents), "Self-assessment", "differs from what the evidence shows", "9.2 Internal audit", "No data", snap.SHA256} {
			if !strings.Contains(page, want) {
				t.Errorf("index.html lacks %q", want)
			}
		}

		// No secret reaches a CSV; the incidents are there.
		var names []string
		for name, b := range z.files {
			if !strings.HasSuffix(name, ".csv") {
				continue
			}
			names = append(names, name)
			rd := csv.NewReader(bytes.NewReader(b))
			header, err := rd.Read()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for _, c := range header {
				if strings.Contains(c, "password") || strings.Contains(c, "token") || strings.Contains(c, "secret") {
					t.Errorf("%s has a column %q", name, c)
				}
			}
			if bytes.Contains(b, []byte(pwHash)) {
				t.Errorf("%s holds a password hash", name)
			}
			if bytes.Contains(b, []byte(typed)) {
				t.Errorf("%s holds what was typed at a failed sign-in", name)
			}
		}
		sort.Strings(names)
		for _, bad := range []string{"sessions", "api_tokens", "login_attempts", "calendar_feed_tokens", "idempotency_keys"} {
			if _, ok := z.files["tables/"+bad+".csv"]; ok {
				t.Errorf("the pack holds %s", bad)
			}
		}
		rows, err := csv.NewReader(bytes.NewReader(z.files["tables/incidents.csv"])).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if incidents < 40 || len(rows) != incidents+1 || rows[0][0] != "id" {
			t.Errorf("incidents.csv has %d lines, header %v", len(rows), rows[0])
		}
		users := string(z.files["tables/users.csv"])
		if !strings.Contains(users, "auditor@pack.test") {
			t.Errorf("users.csv lacks the user")
		}

		// The PDF is a PDF with the score in it.
		pdf := z.files["readiness.pdf"]
		if !bytes.HasPrefix(pdf, []byte("%PDF")) || !bytes.Contains(pdf, []byte(fmt.Sprintf("Readiness %.1f %%", snap.Score))) {
			t.Errorf("readiness.pdf: %q..., score %v not found", pdf[:min(len(pdf), 8)], snap.Score)
		}
	})
}

// Every table of the schema is either evidence or withheld on purpose;
// full-text search indexes are copies of what the records hold.
func TestEveryTableDecided(t *testing.T) {
	e := storetest.SQLite(t)
	rows, err := e.DB.Query(context.Background(), "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' AND name NOT LIKE '%_fts%'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	decided := map[string]bool{}
	for _, n := range append(append([]string{}, Tables...), Withheld...) {
		decided[n] = true
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		if !decided[n] {
			t.Errorf("table %s is neither exported nor withheld", n)
		}
	}
}
