package cmdb

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/jobs"
	"steward/internal/store"
)

// ImportJobKind is the background job that runs an import started with
// StartImport.
const ImportJobKind = "cmdb.import"

// States of an import job.
const (
	ImportUploading  = "uploading"  // its files are being staged
	ImportQueued     = "queued"     // waiting for a worker
	ImportValidating = "validating" // planning against a snapshot; nothing written yet
	ImportApplying   = "applying"   // writing chunk by chunk
	ImportDone       = "done"       // applied, or a dry run planned
	ImportRefused    = "refused"    // errors refused an all-or-nothing import: nothing written
	ImportFailed     = "failed"     // stopped by a database failure, or by a change during the apply
)

// ImportRequest is an import to run in the background.
type ImportRequest struct {
	CIs             []byte
	CIFormat        DataFormat
	Relationships   []byte
	RelFormat       DataFormat
	DryRun          bool
	ContinueOnError bool
	ChangeRef       string
}

// ImportJob is an import run in the background, as far as it has come.
type ImportJob struct {
	ID              int64  `json:"id"`
	State           string `json:"state"`
	DryRun          bool   `json:"dry_run"`
	ContinueOnError bool   `json:"continue_on_error"`
	ChangeRef       string `json:"change_ref"`
	// Phase is validate, cis, relationships or done; LinesDone counts the
	// phase's lines read (validate) or committed (cis, relationships).
	Phase     string `json:"phase"`
	LinesDone int    `json:"lines_done"`
	// Error says why a failed import stopped.
	Error      string       `json:"error"`
	CreatedAt  time.Time    `json:"created_at"`
	StartedAt  *time.Time   `json:"started_at"`
	FinishedAt *time.Time   `json:"finished_at"`
	Report     ImportReport `json:"report"`

	ciFormat, relFormat DataFormat
	actor               audit.Actor
}

// Finished tells whether the import has stopped for good.
func (j *ImportJob) Finished() bool {
	return j.State == ImportDone || j.State == ImportRefused || j.State == ImportFailed
}

// importStageChunk is how much of a file one staging transaction writes.
const importStageChunk = 1 << 20

// importLeaseMargin is how long before its lease ends a run of an import
// job stops after its current chunk, to be resumed by the next run.
const importLeaseMargin = time.Minute

// StartImport stages an import's files in the database and queues the job
// that runs it. Each megabyte is written in a transaction of its own.
func (s *Service) StartImport(ctx context.Context, actor audit.Actor, req ImportRequest) (ImportJob, error) {
	var id int64
	now := s.Now()
	ciFormat, relFormat := req.CIFormat, req.RelFormat
	if req.CIs == nil {
		ciFormat = ""
	}
	if req.Relationships == nil {
		relFormat = ""
	}
	var actorID any
	if actor.ID != 0 {
		actorID = actor.ID
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO cmdb_imports (state, dry_run, continue_on_error, change_ref, ci_format, rel_format,
			actor_type, actor_id, actor_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			ImportUploading, req.DryRun, req.ContinueOnError, req.ChangeRef, string(ciFormat), string(relFormat),
			actor.Type, actorID, actor.Name, store.TS(now)).Scan(&id)
	})
	if err != nil {
		return ImportJob{}, store.Translate(err)
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{fileCIs, req.CIs}, {fileRels, req.Relationships}} {
		for seq := 0; seq*importStageChunk < len(f.data); seq++ {
			part := f.data[seq*importStageChunk : min(len(f.data), (seq+1)*importStageChunk)]
			err := s.DB.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, "INSERT INTO cmdb_import_files (import_id, file, seq, data) VALUES (?, ?, ?, ?)", id, f.name, seq, part)
				return err
			})
			if err != nil {
				return ImportJob{}, err
			}
		}
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE cmdb_imports SET state = ? WHERE id = ?", ImportQueued, id); err != nil {
			return err
		}
		return jobs.Enqueue(ctx, tx, ImportJobKind, "", now, map[string]int64{"import_id": id})
	})
	if err != nil {
		return ImportJob{}, err
	}
	return s.GetImport(ctx, id)
}

// GetImport reads an import job with its report so far.
func (s *Service) GetImport(ctx context.Context, id int64) (ImportJob, error) {
	var j ImportJob
	var report string
	var created, started, finished store.Time
	var actorID *int64
	err := s.DB.QueryRow(ctx, `SELECT id, state, dry_run, continue_on_error, change_ref, ci_format, rel_format, actor_type,
		actor_id, actor_name, phase, lines_done, report, error, created_at, started_at, finished_at FROM cmdb_imports WHERE id = ?`, id).
		Scan(&j.ID, &j.State, &j.DryRun, &j.ContinueOnError, &j.ChangeRef, &j.ciFormat, &j.relFormat, &j.actor.Type,
			&actorID, &j.actor.Name, &j.Phase, &j.LinesDone, &report, &j.Error, &created, &started, &finished)
	if err != nil {
		return j, store.ScanErr(err)
	}
	if actorID != nil {
		j.actor.ID = *actorID
	}
	j.CreatedAt, j.StartedAt, j.FinishedAt = created.Time, started.Ptr(), finished.Ptr()
	if err := importUnmarshal(report, &j.Report); err != nil {
		return j, err
	}
	j.Report.DryRun = j.DryRun
	if j.Report.Changes == nil {
		j.Report.Changes = []ImportChange{}
	}
	j.Report.Errors, err = s.importErrors(ctx, id)
	return j, err
}

// ListImports lists the latest import jobs, newest first, without their
// errors.
func (s *Service) ListImports(ctx context.Context, limit int) ([]ImportJob, error) {
	rows, err := s.DB.Query(ctx, "SELECT id FROM cmdb_imports ORDER BY created_at DESC, id DESC LIMIT ?", limit)
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
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]ImportJob, 0, len(ids))
	for _, id := range ids {
		j, err := s.GetImport(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, nil
}

func (s *Service) importErrors(ctx context.Context, id int64) ([]ImportError, error) {
	rows, err := s.DB.Query(ctx, `SELECT file, line, field, message FROM cmdb_import_errors WHERE import_id = ?
		ORDER BY CASE WHEN file = 'cis' THEN 0 ELSE 1 END, line, seq`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ImportError{}
	for rows.Next() {
		var e ImportError
		if err := rows.Scan(&e.File, &e.Line, &e.Field, &e.Message); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// RunImportJob is the handler of ImportJobKind: it runs the import from
// where it stopped, and pauses (to be run again at once) shortly before
// the job's lease ends.
func (s *Service) RunImportJob(ctx context.Context, j jobs.Job) error {
	return s.runImportJob(ctx, j, 0)
}

// runImportJob runs an import job; with chunks > 0 it pauses after that
// many committed chunks, as a node stopped there would.
func (s *Service) runImportJob(ctx context.Context, j jobs.Job, chunks int) error {
	var p struct {
		ImportID int64 `json:"import_id"`
	}
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return err
	}
	job, err := s.GetImport(ctx, p.ImportID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // removed meanwhile
	} else if err != nil || job.Finished() {
		return err
	}
	opts := ImportOptions{DryRun: job.DryRun, ContinueOnError: job.ContinueOnError, ChangeRef: job.ChangeRef, ChunkRows: s.ImportChunkRows}
	if job.ciFormat != "" {
		opts.CIs, opts.CIFormat = &importStaged{ctx: ctx, db: s.DB, id: job.ID, file: fileCIs}, job.ciFormat
	}
	if job.relFormat != "" {
		opts.Relationships, opts.RelFormat = &importStaged{ctx: ctx, db: s.DB, id: job.ID, file: fileRels}, job.relFormat
	}
	var from importResume
	if job.Phase == PhaseCIs || job.Phase == PhaseRelationships {
		rep := job.Report
		from = importResume{Phase: job.Phase, Done: job.LinesDone, Rep: &rep}
	}
	saved := len(job.Report.Errors)
	if from.Rep == nil {
		saved = 0
	}
	start := ImportValidating
	if from.Rep != nil || (opts.ContinueOnError && !opts.DryRun) {
		start = ImportApplying
	}
	if _, err := s.DB.Exec(ctx, "UPDATE cmdb_imports SET state = ?, started_at = coalesce(started_at, ?) WHERE id = ?",
		start, store.TS(s.Now()), job.ID); err != nil {
		return err
	}
	opts.checkpoint = func(tx *store.Tx, phase string, done int, rep *ImportReport) error {
		state := ImportApplying
		if phase == PhaseDone {
			state = ImportDone
		}
		err := s.saveImport(ctx, tx, job.ID, state, phase, done, rep, saved)
		saved = len(rep.Errors)
		return err
	}
	lastShown := time.Now()
	opts.Progress = func(pr ImportProgress) {
		// The plan writes nothing but how far it has read, once a second.
		if pr.Phase == PhaseValidate && time.Since(lastShown) >= time.Second {
			lastShown = time.Now()
			s.DB.Exec(ctx, "UPDATE cmdb_imports SET phase = ?, lines_done = ? WHERE id = ?", PhaseValidate, pr.Lines, job.ID)
		}
	}
	deadline, bounded := ctx.Deadline()
	ran := 0
	opts.stop = func() bool {
		ran++
		return (chunks > 0 && ran >= chunks) || (bounded && time.Until(deadline) < importLeaseMargin)
	}
	rep, err := s.runImport(ctx, job.actor, &opts, from)
	var conflict *domainerr.Conflict
	switch {
	case errors.Is(err, errImportPaused):
		return &jobs.Reschedule{At: s.Now()}
	case errors.As(err, &conflict):
		return s.failImport(ctx, job.ID, conflict.Message)
	case err != nil:
		if j.Attempts >= jobs.MaxAttempts {
			s.failImport(ctx, job.ID, "the import stopped: "+err.Error())
		}
		return err
	case rep.Committed:
		return nil // its last chunk's transaction recorded it as done
	}
	state := ImportRefused
	if rep.DryRun {
		state = ImportDone
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		return s.saveImport(ctx, tx, job.ID, state, PhaseDone, 0, &rep, 0)
	})
}

// saveImport records an import's progress: its state, phase and report,
// and the errors found since the last save. A finished import's staged
// files are dropped.
func (s *Service) saveImport(ctx context.Context, tx *store.Tx, id int64, state, phase string, done int, rep *ImportReport, saved int) error {
	counts := *rep
	counts.Errors = nil
	raw, err := json.Marshal(counts)
	if err != nil {
		return err
	}
	var finished any
	if state == ImportDone || state == ImportRefused {
		finished = store.TS(s.Now())
	}
	if _, err := tx.Exec(ctx, `UPDATE cmdb_imports SET state = ?, phase = ?, lines_done = ?, report = ?, finished_at = ? WHERE id = ?`,
		state, phase, done, string(raw), finished, id); err != nil {
		return err
	}
	for i := saved; i < len(rep.Errors); i++ {
		e := rep.Errors[i]
		if _, err := tx.Exec(ctx, "INSERT INTO cmdb_import_errors (import_id, seq, file, line, field, message) VALUES (?, ?, ?, ?, ?, ?)",
			id, i, e.File, e.Line, e.Field, e.Message); err != nil {
			return err
		}
	}
	if finished != nil {
		_, err = tx.Exec(ctx, "DELETE FROM cmdb_import_files WHERE import_id = ?", id)
	}
	return err
}

func (s *Service) failImport(ctx context.Context, id int64, msg string) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE cmdb_imports SET state = ?, error = ?, finished_at = ? WHERE id = ?",
			ImportFailed, msg, store.TS(s.Now()), id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "DELETE FROM cmdb_import_files WHERE import_id = ?", id)
		return err
	})
}

// importStaged reads a staged file back one chunk at a time; it can be
// rewound to its start for a second pass.
type importStaged struct {
	ctx  context.Context
	db   *store.DB
	id   int64
	file string
	seq  int
	buf  []byte
	eof  bool
}

func (r *importStaged) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.eof {
			return 0, io.EOF
		}
		err := r.db.QueryRow(r.ctx, "SELECT data FROM cmdb_import_files WHERE import_id = ? AND file = ? AND seq = ?",
			r.id, r.file, r.seq).Scan(&r.buf)
		if errors.Is(store.ScanErr(err), store.ErrNotFound) {
			r.eof = true
			continue
		} else if err != nil {
			return 0, err
		}
		r.seq++
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// Seek rewinds to the start; it seeks nowhere else.
func (r *importStaged) Seek(offset int64, whence int) (int64, error) {
	if offset != 0 || whence != io.SeekStart {
		return 0, errors.New("a staged import file can only be rewound")
	}
	r.seq, r.buf, r.eof = 0, nil, false
	return 0, nil
}
