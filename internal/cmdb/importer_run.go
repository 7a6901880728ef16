package cmdb

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sort"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// importChunkRows is how many lines one transaction writes by default:
// enough for multi-row statements to pay, few enough that the write lock
// is held for a few tens of milliseconds.
const importChunkRows = 1000

// errImportPaused ends a run of an import that its stop function paused
// after a committed chunk.
var errImportPaused = errors.New("import paused")

// importResume is where a resumed import starts: the phase it was in,
// how many records of that phase's files it had committed, and its report
// as it stood then.
type importResume struct {
	Phase string
	Done  int
	Rep   *ImportReport
}

// runImport runs an import from where it stopped (the start when from is
// empty): the plan, unless the import skips it or has passed it, then
// the apply.
func (s *Service) runImport(ctx context.Context, actor audit.Actor, opts *ImportOptions, from importResume) (ImportReport, error) {
	start := time.Now()
	var rep ImportReport
	var err error
	planFirst := opts.DryRun || (!opts.ContinueOnError && (from.Phase == "" || from.Phase == PhaseValidate))
	if planFirst && !opts.DryRun {
		if err := opts.replayable(); err != nil {
			return ImportReport{}, err
		}
	}
	if planFirst {
		rep, err = s.importPass(ctx, actor, opts, true, importResume{})
		if err == nil && !opts.DryRun && rep.Rejected == 0 {
			if err = opts.rewind(); err == nil {
				rep, err = s.importPass(ctx, actor, opts, false, importResume{})
			}
		}
	} else {
		rep, err = s.importPass(ctx, actor, opts, false, from)
	}
	rep.DurationMS = time.Since(start).Milliseconds()
	// Errors found while writing a chunk come after those found reading
	// the lines behind it: put them back in file order.
	sort.SliceStable(rep.Errors, func(i, j int) bool {
		a, b := rep.Errors[i], rep.Errors[j]
		if a.File != b.File {
			return a.File == fileCIs
		}
		return a.Line < b.Line
	})
	return rep, err
}

// importPass reads the files once: planning against one read-only
// snapshot, or applying chunk by chunk.
func (s *Service) importPass(ctx context.Context, actor audit.Actor, opts *ImportOptions, plan bool, from importResume) (ImportReport, error) {
	rep := ImportReport{DryRun: opts.DryRun, Errors: []ImportError{}, Changes: []ImportChange{}}
	if from.Rep != nil {
		rep = *from.Rep
	}
	im := newImporter(ctx, s.DB, s.Now(), actor, opts, &rep)
	im.plan = plan
	if plan {
		err := s.DB.InReadTx(ctx, func(rt *store.ReadTx) error {
			im.q = rt
			if err := im.load(); err != nil {
				return err
			}
			return im.run(from)
		})
		return rep, err
	}
	if err := im.load(); err != nil {
		return rep, err
	}
	if err := im.run(from); err != nil {
		return rep, err
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := audit.Record(ctx, tx, actor, "cmdb.import", "ci", "", map[string]any{
			"cis": rep.CIs, "relationships": rep.Relationships, "rejected": rep.Rejected, "change_ref": opts.ChangeRef,
		}); err != nil {
			return err
		}
		if opts.checkpoint != nil {
			done := rep
			done.Committed = true
			return opts.checkpoint(tx, PhaseDone, 0, &done)
		}
		return nil
	})
	if err == nil {
		rep.Committed = true
	}
	return rep, err
}

// run reads the files from where from says, the CIs first.
func (im *importer) run(from importResume) error {
	phase, done := from.Phase, from.Done
	if im.opts.CIs != nil {
		skip := 0
		switch phase {
		case PhaseCIs:
			skip = done
		case PhaseRelationships:
			// The CIs are all in; a JSON file may still hold relationships.
			skip = -1
		}
		if err := im.importCIs(im.opts.CIs, im.opts.CIFormat, skip); err != nil {
			return err
		}
	}
	im.committedAt, im.w = 0, nil
	skip := 0
	if phase == PhaseRelationships {
		skip = done
	}
	read := 0
	if im.bundle != nil && len(im.bundle.rels) > 0 {
		var err error
		if read, err = im.readRelationships(&importBundled{recs: im.bundle.rels}, 0, skip); err != nil {
			return err
		}
	}
	if im.opts.Relationships != nil {
		rd, _, err := importOpen(im.opts.Relationships, im.opts.RelFormat, fileRels, func(line int, field, msg string) {
			im.fail(fileRels, line, field, "%s", msg)
		})
		if err != nil {
			return err
		}
		if rd != nil {
			if read, err = im.readRelationships(rd, read, skip); err != nil {
				return err
			}
		}
	}
	if read > im.committedAt {
		return im.commit(PhaseRelationships, read, func() error { return nil })
	}
	return nil
}

func (o *ImportOptions) chunkRows() int {
	if o.ChunkRows > 0 {
		return o.ChunkRows
	}
	return importChunkRows
}

// commit runs apply for the lines read up to done: in the plan's
// snapshot, or in a write transaction of its own that also records the
// import's progress.
func (im *importer) commit(phase string, done int, apply func() error) error {
	im.committedAt = done
	if im.plan {
		if err := apply(); err != nil {
			return err
		}
		im.progress(phase, done)
		return nil
	}
	rejected := im.rep.Rejected
	var changed *ImportError
	err := im.db.InTx(im.ctx, func(tx *store.Tx) error {
		im.q, im.tx = tx, tx
		defer func() { im.q, im.tx = im.db, nil }()
		// The history entries this import writes must become visible in
		// sequence order like any others (see LockHistory).
		if err := LockHistory(im.ctx, tx); err != nil {
			return err
		}
		if err := im.numberFrom(tx); err != nil {
			return err
		}
		if err := apply(); err != nil {
			return err
		}
		if !im.opts.ContinueOnError && im.rep.Rejected > rejected {
			// The plan found no error, so the database changed since.
			for i := range im.rep.Errors {
				if e := im.rep.Errors[i]; changed == nil || e.Line < changed.Line {
					changed = &im.rep.Errors[i]
				}
			}
			return errImportPaused
		}
		if im.opts.checkpoint != nil {
			return im.opts.checkpoint(tx, phase, done, im.rep)
		}
		return nil
	})
	switch {
	case changed != nil:
		return domainerr.Conflictf("the database changed while the import was applied: %s; the lines before this chunk were imported", changed)
	case err != nil:
		return err
	}
	im.progress(phase, done)
	if im.opts.stop != nil && im.opts.stop() {
		return errImportPaused
	}
	return nil
}

// rewind makes the files readable again from their start, for the apply
// after the plan.
func (o *ImportOptions) rewind() error {
	for _, r := range []*io.Reader{&o.CIs, &o.Relationships} {
		if *r == nil {
			continue
		}
		if sk, ok := (*r).(io.Seeker); ok {
			if _, err := sk.Seek(0, io.SeekStart); err != nil {
				return err
			}
			continue
		}
		return errors.New("import: the file cannot be read twice")
	}
	return nil
}

// replayable makes sure the files can be rewound: readers that cannot
// seek are read into memory.
func (o *ImportOptions) replayable() error {
	for _, r := range []*io.Reader{&o.CIs, &o.Relationships} {
		if *r == nil {
			continue
		}
		if _, ok := (*r).(io.Seeker); ok {
			continue
		}
		b, err := io.ReadAll(*r)
		if err != nil {
			return err
		}
		*r = bytes.NewReader(b)
	}
	return nil
}
