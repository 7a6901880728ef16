// Package pack writes the audit pack: one zip an external auditor can
// read offline, holding the readiness report (index.html and a PDF), the
// evidence snapshot exactly as stored (evidence.json), the records behind
// it as one CSV per table, and a manifest with every file's SHA-256, the
// snapshot's hash and the audit trail's head, so any later change to the
// pack or to the records shows.
package pack

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"steward/internal/audit"
	"steward/internal/clauses"
	"steward/internal/compliance"
	"steward/internal/store"
)

// Options say what to export and for whom.
type Options struct {
	Standard string
	Actor    audit.Actor
	// Loc is the zone the report writes its dates in; UTC when nil.
	Loc *time.Location
	Now time.Time
}

// FileEntry is one file of the pack as the manifest lists it.
type FileEntry struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
	// Rows is the number of records in a table's CSV.
	Rows *int64 `json:"rows,omitempty"`
}

// Manifest is manifest.json: what the pack holds and what it is tied to.
type Manifest struct {
	Format     string    `json:"format"`
	Standard   string    `json:"standard"`
	ExportedAt time.Time `json:"exported_at"`
	ExportedBy struct {
		Type string `json:"type"`
		ID   int64  `json:"id,omitempty"`
		Name string `json:"name"`
	} `json:"exported_by"`
	Snapshot struct {
		ID        int64     `json:"id"`
		TakenAt   time.Time `json:"taken_at"`
		SHA256    string    `json:"sha256"`
		ChainHead string    `json:"chain_head"`
		Score     float64   `json:"score"`
	} `json:"snapshot"`
	// AuditChainHead is the audit trail's head ("seq:hash") when the
	// records were read, the export's own entry included.
	AuditChainHead string      `json:"audit_chain_head"`
	Files          []FileEntry `json:"files"`
}

// Format names the layout of the pack.
const Format = "steward-audit-pack/1"

// Snapshot is the standard's newest snapshot, taken now for actor when
// none was ever taken.
func Snapshot(ctx context.Context, db *store.DB, standard string, actor audit.Actor, now time.Time) (compliance.Snapshot, error) {
	snap, err := compliance.Latest(ctx, db, standard)
	if !errors.Is(err, store.ErrNotFound) {
		return snap, err
	}
	ev, err := compliance.Evaluate(ctx, db, standard, now)
	if err != nil {
		return snap, err
	}
	return compliance.Save(ctx, db, ev, actor, compliance.OriginManual)
}

// Write streams the audit pack of the standard's newest snapshot to w
// and records in the audit trail who exported it. Tables are read in one
// read transaction, so the CSVs agree with each other, and written row
// by row.
func Write(ctx context.Context, db *store.DB, w io.Writer, opt Options) (Manifest, error) {
	var m Manifest
	if opt.Standard == "" {
		opt.Standard = clauses.Primary
	}
	if _, ok := clauses.Get(opt.Standard); !ok {
		return m, fmt.Errorf("pack: unknown standard %q", opt.Standard)
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	opt.Now = opt.Now.UTC().Truncate(time.Second)
	snap, err := Snapshot(ctx, db, opt.Standard, opt.Actor, opt.Now)
	if err != nil {
		return m, err
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		return audit.Record(ctx, tx, opt.Actor, "export", "compliance_audit_pack", snap.ID,
			map[string]any{"standard": opt.Standard, "snapshot": snap.ID, "sha256": snap.SHA256})
	}); err != nil {
		return m, err
	}
	m.Format, m.Standard, m.ExportedAt = Format, opt.Standard, opt.Now
	m.ExportedBy.Type, m.ExportedBy.ID, m.ExportedBy.Name = opt.Actor.Type, opt.Actor.ID, opt.Actor.Name
	m.Snapshot.ID, m.Snapshot.TakenAt, m.Snapshot.SHA256, m.Snapshot.ChainHead, m.Snapshot.Score = snap.ID, snap.TakenAt, snap.SHA256, snap.ChainHead, snap.Score

	zw := zip.NewWriter(w)
	err = db.InReadTx(ctx, func(rt *store.ReadTx) error {
		seq, head, err := audit.Head(ctx, rt)
		if err != nil {
			return err
		}
		m.AuditChainHead = fmt.Sprintf("%d:%s", seq, head)
		as, err := compliance.Assessments(ctx, rt, opt.Standard)
		if err != nil {
			return err
		}
		rep := NewReport(snap, as, opt.Loc)
		rep.ChainHead, rep.ExportedAt, rep.ExportedBy = m.AuditChainHead, opt.Now, opt.Actor.Name
		add := func(name string, write func(io.Writer) (int64, error), rows bool) error {
			f, err := entry(zw, name, opt.Now)
			if err != nil {
				return err
			}
			n, err := write(f)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			fe := f.done(name)
			if rows {
				fe.Rows = &n
			}
			m.Files = append(m.Files, fe)
			return nil
		}
		if err := add("index.html", func(w io.Writer) (int64, error) { return 0, rep.WriteHTML(w) }, false); err != nil {
			return err
		}
		if err := add("readiness.pdf", func(w io.Writer) (int64, error) { return 0, rep.WritePDF(w) }, false); err != nil {
			return err
		}
		if err := add("evidence.json", func(w io.Writer) (int64, error) { _, err := w.Write(snap.Body); return 0, err }, false); err != nil {
			return err
		}
		for _, t := range Tables {
			t := t
			if err := add("tables/"+t+".csv", func(w io.Writer) (int64, error) { return writeTable(ctx, rt, t, w) }, true); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return m, err
	}
	f, err := entry(zw, "manifest.json", opt.Now)
	if err != nil {
		return m, err
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return m, err
	}
	return m, zw.Close()
}

// hashed is a file of the zip being written, summed as it goes.
type hashed struct {
	w io.Writer
	h hash.Hash
	n int64
}

func entry(zw *zip.Writer, name string, at time.Time) (*hashed, error) {
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: at})
	if err != nil {
		return nil, err
	}
	return &hashed{w: w, h: sha256.New()}, nil
}

func (f *hashed) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	f.h.Write(p[:n])
	f.n += int64(n)
	return n, err
}

func (f *hashed) done(name string) FileEntry {
	return FileEntry{Name: name, SHA256: hex.EncodeToString(f.h.Sum(nil)), Bytes: f.n}
}

// WriteReadinessPDF writes the readiness report of the standard's newest
// snapshot as a PDF, and records in the audit trail who exported it.
func WriteReadinessPDF(ctx context.Context, db *store.DB, w io.Writer, opt Options) error {
	if opt.Standard == "" {
		opt.Standard = clauses.Primary
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	opt.Now = opt.Now.UTC().Truncate(time.Second)
	snap, err := Snapshot(ctx, db, opt.Standard, opt.Actor, opt.Now)
	if err != nil {
		return err
	}
	as, err := compliance.Assessments(ctx, db, opt.Standard)
	if err != nil {
		return err
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		return audit.Record(ctx, tx, opt.Actor, "export", "compliance_readiness_report", snap.ID,
			map[string]any{"standard": opt.Standard, "snapshot": snap.ID, "sha256": snap.SHA256})
	}); err != nil {
		return err
	}
	rep := NewReport(snap, as, opt.Loc)
	rep.ExportedAt, rep.ExportedBy = opt.Now, opt.Actor.Name
	return rep.WritePDF(w)
}
