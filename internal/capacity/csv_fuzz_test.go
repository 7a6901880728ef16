package capacity

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"steward/internal/domainerr"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// FuzzIngestCSV feeds arbitrary files to the samples upload. Whatever the
// file holds, it is either taken (and every sample it counts is stored)
// or refused with a message naming the file or its lines, the answer the
// uploader sees; it never fails in another way.
func FuzzIngestCSV(f *testing.F) {
	for _, seed := range []string{
		"ci,metric,at,value\ndb-01,cpu,2026-03-01T10:00:00Z,42\n",
		"service,metric,at,value,unit\nPortal,sessions,2026-03-01T10:00:00Z,17,sessions\n",
		"ci_id,metric,at,value\n1,cpu,2026-03-01,1e999\n",
		"service_id,metric,at,value\nx,cpu,yesterday,NaN\n",
		"\ufeffCI,Metric,At,Value\ndb-01,\"a,b\",2026-03-01T10:00:00Z,-1\n",
		"ci,metric,at,value\n\"unterminated\n",
		"ci,metric,at,value\nnobody,cpu,2026-03-01T10:00:00Z,1\n",
		"ci,metric,at,value\ndb-01,,2026-03-01T10:00:00Z,\n",
		"metric\n", "", "ci,metric,at,value,extra\n",
	} {
		f.Add([]byte(seed))
	}
	e := storetest.SQLite(f)
	ctx := context.Background()
	svc := NewService(e.DB, nil)
	svc.Now = func() time.Time { return time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC) }
	ts := store.TS(time.Now())
	var service, typ int64
	err := e.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO services (name, status, criticality, created_at, updated_at)
			VALUES ('Portal', 'live', 'high', ?, ?) RETURNING id`, ts, ts).Scan(&service); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO ci_types (name, created_at, updated_at) VALUES ('Test server', ?, ?) RETURNING id`, ts, ts).Scan(&typ); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO cis (type_id, name, status, service_id, created_at, updated_at)
			VALUES (?, 'db-01', 'in_use', ?, ?, ?)`, typ, service, ts, ts)
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		before := storetest.Count(t, e.DB, "SELECT count(*) FROM capacity_samples")
		res, err := svc.IngestCSV(ctx, agent, bytes.NewReader(file))
		after := storetest.Count(t, e.DB, "SELECT count(*) FROM capacity_samples")
		if err != nil {
			var inv *domainerr.Invalid
			if !errors.As(err, &inv) {
				t.Fatalf("refused with %T %v, not a message about the file", err, err)
			}
			if after != before {
				t.Fatalf("a refused file stored %d samples", after-before)
			}
			return
		}
		if res.Accepted+res.Duplicates == 0 || after-before != res.Accepted {
			t.Fatalf("took a file saying %+v, and %d samples were stored", res, after-before)
		}
	})
}
