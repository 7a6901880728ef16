package cmdb

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/store"
)

// DataFormat is the format of an import or export file.
type DataFormat string

const (
	FormatCSV  DataFormat = "csv"
	FormatJSON DataFormat = "json" // a JSON array of objects, or JSON Lines
)

// FormatOf guesses a file's format from its name: .csv is CSV; .json,
// .jsonl and .ndjson are JSON.
func FormatOf(name string) (DataFormat, bool) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return FormatCSV, true
	case ".json", ".jsonl", ".ndjson":
		return FormatJSON, true
	}
	return "", false
}

// ImportOptions says what to import and how.
type ImportOptions struct {
	// CIs and Relationships are the files; either may be nil. The CIs are
	// imported first, so relationships may refer to CIs created by them.
	// An all-or-nothing import reads them twice, to plan and then to
	// apply: a reader that is an io.Seeker is rewound, any other is read
	// into memory first.
	CIs           io.Reader
	CIFormat      DataFormat
	Relationships io.Reader
	RelFormat     DataFormat
	// DryRun reports what would change and changes nothing.
	DryRun bool
	// ContinueOnError imports the valid lines and skips the others; by
	// default any error leaves the database as it was.
	ContinueOnError bool
	// ChangeRef names the change record that authorised the import; it is
	// kept on every history entry.
	ChangeRef string
	// Progress, when set, is called after each chunk of lines: once it is
	// committed when the import writes.
	Progress func(ImportProgress)
	// ChunkRows is how many lines are written in one transaction; 1000
	// when 0.
	ChunkRows int

	// checkpoint, when set, records in each chunk's transaction how far
	// the import has come (a job resumes from there); the last call, with
	// PhaseDone, is in the transaction of the import's audit entry.
	checkpoint func(tx *store.Tx, phase string, done int, rep *ImportReport) error
	// stop, when set, is asked after each committed chunk whether to pause
	// the import there (errImportPaused); a job resumes it later.
	stop func() bool
}

// Phases of an import, as its progress and its job name them.
const (
	PhaseValidate      = "validate"      // planning: matching every line against a snapshot
	PhaseCIs           = "cis"           // applying the CI file
	PhaseRelationships = "relationships" // applying the relationships
	PhaseDone          = "done"
)

// ImportProgress tells how far an import has come.
type ImportProgress struct {
	Phase string `json:"phase"` // "validate", "cis" or "relationships"
	Lines int    `json:"lines"` // lines read so far in this phase
}

// ImportReport is what an import did, or would do on a dry run.
type ImportReport struct {
	DryRun bool `json:"dry_run"`
	// Committed is true when the changes were saved: never on a dry run,
	// and not when an error refused the whole import.
	Committed     bool         `json:"committed"`
	CIs           ImportCounts `json:"cis"`
	Relationships ImportCounts `json:"relationships"`
	// Rejected counts the lines with errors in both files.
	Rejected int           `json:"rejected"`
	Errors   []ImportError `json:"errors"`
	// ErrorsOmitted counts errors beyond the first MaxImportErrors.
	ErrorsOmitted int `json:"errors_omitted"`
	// Changes shows the field changes of the first updated CIs.
	Changes    []ImportChange `json:"changes"`
	DurationMS int64          `json:"duration_ms"`
}

// ImportCounts counts the lines of one file by outcome.
type ImportCounts struct {
	Lines     int `json:"lines"`
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Rejected  int `json:"rejected"`
}

// ImportError is one problem with one line of a file.
type ImportError struct {
	File    string `json:"file"` // "cis" or "relationships"
	Line    int    `json:"line"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e ImportError) String() string {
	if e.Field == "" {
		return fmt.Sprintf("%s line %d: %s", e.File, e.Line, e.Message)
	}
	return fmt.Sprintf("%s line %d, %s: %s", e.File, e.Line, e.Field, e.Message)
}

// ImportChange is an updated CI and what changed on it.
type ImportChange struct {
	Line   int           `json:"line"`
	CIID   int64         `json:"ci_id"`
	Type   string        `json:"type"`
	Name   string        `json:"name"`
	Fields []FieldChange `json:"fields"`
}

// FieldChange is one changed field; nil is "not set".
type FieldChange struct {
	Field string  `json:"field"`
	Old   *string `json:"old"`
	New   *string `json:"new"`
}

// Limits of an import report.
const (
	MaxImportErrors  = 1000
	MaxImportChanges = 20
)

const (
	fileCIs  = "cis"
	fileRels = "relationships"
)

// Import upserts CIs and relationships from files. A CI is matched by the
// first unique attribute of its type that the line sets (by type and name
// for types without one); unchanged CIs are left alone, changed ones are
// updated with a history entry per changed field, new ones are created.
//
// The import never holds the database's write lock for long. A dry run
// plans the whole import in one read-only snapshot and writes nothing.
// Otherwise the lines are written in transactions of ChunkRows lines, so
// other writers get in between two chunks. All or nothing (the default)
// comes from planning first: the files are validated and matched against a
// snapshot, and only an import without errors is applied. With
// ContinueOnError the valid lines are applied in one pass.
//
// The returned error is for failures of the database or of reading, and
// for a database that changed between the plan and the apply so that a
// line planned as good failed (a *domainerr.Conflict; the chunks before
// it stay imported). Problems with the data are in the report.
func (s *Service) Import(ctx context.Context, actor audit.Actor, opts ImportOptions) (ImportReport, error) {
	return s.runImport(ctx, actor, &opts, importResume{})
}

// importer is the state of one pass of an import over its files.
type importer struct {
	ctx    context.Context
	db     *store.DB
	now    string
	actor  audit.Actor
	opts   *ImportOptions
	rep    *ImportReport
	lastEr struct {
		file string
		line int
	}
	// q reads: the plan's snapshot, or the current chunk's transaction.
	q store.Querier
	// tx writes the current chunk; nil while planning.
	tx *store.Tx
	// plan matches and counts but writes nothing: a dry run, or the
	// validation before an all-or-nothing import.
	plan bool
	// replay is set while a resumed import reads again the lines it had
	// committed before it stopped: they are validated, to know the file's
	// identifiers, but neither counted nor reported again.
	replay bool
	// committedAt is how many lines of the current file were read when
	// the last chunk was written.
	committedAt int

	types      map[string]*importType // by lower-case name
	typesByID  map[int64]*importType
	users      map[string]int64 // by lower-case e-mail
	groups     map[string]int64 // by lower-case name
	customers  map[string]int64
	userIDs    map[int64]bool
	groupIDs   map[int64]bool
	customerID map[int64]bool

	// seen holds every identifier (and, for types matched by name, every
	// name) the CI file gave, with its line and, once written, the CI id:
	// it finds duplicates within the file and resolves relationships.
	seen map[string]importSeen
	// names maps each type's CI names (lower case) to ids, loaded when
	// first needed; importAmbiguous marks a name several CIs share.
	names map[int64]map[string]int64
	// populated says whether a type had CIs before the import, so new
	// types skip identifier lookups.
	populated map[int64]bool
	nextID    int64   // SQLite, and any plan: the next CI id to use
	idPool    []int64 // PostgreSQL: ids drawn from the sequence
	ciJSON    bool
	// bundle is a JSON CI file holding relationships too.
	bundle *importJSON
	// w gathers the current chunk's inserts.
	w *importWrites
	// analyzedAt is how many CIs the import had created when it last
	// refreshed PostgreSQL's statistics.
	analyzedAt int
	// A plan keeps in memory what an import would have written and read
	// back: the CIs it would create, by type, until their type's names are
	// loaded, and the relationships it would create.
	planNames map[int64][]importNamed
	planRels  map[importEdge]struct{}
	// maxID is the highest CI id in the plan's snapshot: ids above it are
	// CIs the plan would create.
	maxID int64
}

type importNamed struct {
	name string
	id   int64
}

type importEdge struct {
	source, target int64
	typ            RelType
}

type importSeen struct {
	id   int64
	line int32
}

const importAmbiguous = -1

// importType is a CI type with what an import needs at hand.
type importType struct {
	CIType
	unique []string // unique attribute names, in order
	attrs  map[string]Attribute
}

func newImporter(ctx context.Context, db *store.DB, now time.Time, actor audit.Actor, opts *ImportOptions, rep *ImportReport) *importer {
	return &importer{ctx: ctx, db: db, q: db, now: store.TS(now), actor: actor, opts: opts, rep: rep,
		seen: map[string]importSeen{}, names: map[int64]map[string]int64{}, populated: map[int64]bool{}}
}

// load reads what every line is checked against: types, people, and which
// types have CIs already.
func (im *importer) load() error {
	ctx, q := im.ctx, im.q
	var err error
	if im.types, im.typesByID, err = importLoadTypes(ctx, q); err != nil {
		return err
	}
	// A CI's owner is an agent or an administrator, as through the form and
	// the API; anyone else named in a file is not found among them.
	if im.users, im.userIDs, err = importLoadNames(ctx, q, "SELECT id, email FROM users WHERE role IN ('agent', 'admin')"); err != nil {
		return err
	}
	if im.groups, im.groupIDs, err = importLoadNames(ctx, q, "SELECT id, name FROM support_groups"); err != nil {
		return err
	}
	if im.customers, im.customerID, err = importLoadNames(ctx, q, "SELECT id, name FROM customers"); err != nil {
		return err
	}
	rows, err := q.Query(ctx, "SELECT DISTINCT type_id FROM cis")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		im.populated[id] = true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if im.plan {
		// The plan numbers the CIs it would create past the snapshot's
		// highest id, so they are never taken for existing ones.
		if err := q.QueryRow(ctx, "SELECT coalesce(max(id), 0) FROM cis").Scan(&im.maxID); err != nil {
			return err
		}
		im.nextID = im.maxID + 1
		im.planNames = map[int64][]importNamed{}
		im.planRels = map[importEdge]struct{}{}
	}
	return nil
}

// numberFrom sets where a chunk's new CI ids start on SQLite. The chunk's
// transaction holds SQLite's only write lock, so the import can number its
// CIs itself and write them without a round trip per row. AUTOINCREMENT
// never reuses an id, so it starts past the highest ever given; other
// writers may have added CIs since the last chunk.
func (im *importer) numberFrom(tx *store.Tx) error {
	if tx.Dialect() != store.SQLite {
		return nil
	}
	err := tx.QueryRow(im.ctx, `SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'cis'), 0),
		coalesce((SELECT max(id) FROM cis), 0))`).Scan(&im.nextID)
	im.nextID++
	return err
}

func importLoadTypes(ctx context.Context, q store.Querier) (map[string]*importType, map[int64]*importType, error) {
	rows, err := q.Query(ctx, "SELECT id, name, attributes FROM ci_types ORDER BY id")
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	byName, byID := map[string]*importType{}, map[int64]*importType{}
	for rows.Next() {
		t := &importType{attrs: map[string]Attribute{}}
		var attrs string
		if err := rows.Scan(&t.ID, &t.Name, &attrs); err != nil {
			return nil, nil, err
		}
		if err := importUnmarshal(attrs, &t.Attributes); err != nil {
			return nil, nil, fmt.Errorf("CI type %d: attributes: %w", t.ID, err)
		}
		for _, a := range t.Attributes {
			t.attrs[a.Name] = a
			if a.Unique {
				t.unique = append(t.unique, a.Name)
			}
		}
		byName[strings.ToLower(t.Name)] = t
		byID[t.ID] = t
	}
	return byName, byID, rows.Err()
}

func importLoadNames(ctx context.Context, q store.Querier, query string) (map[string]int64, map[int64]bool, error) {
	rows, err := q.Query(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	names, ids := map[string]int64{}, map[int64]bool{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, nil, err
		}
		names[strings.ToLower(name)] = id
		ids[id] = true
	}
	return names, ids, rows.Err()
}

// analyze refreshes PostgreSQL's statistics of the tables the import
// reads when they are stale: at the start, and whenever the import has
// doubled what it created. Without them the planner takes a table that
// grew from nothing for a small one, and looks identifiers up by scanning
// all of a type's. ANALYZE sees the transaction's own rows.
func (im *importer) analyze(atEnd bool) error {
	if im.plan || im.tx.Dialect() != store.Postgres {
		return nil
	}
	created := im.rep.CIs.Created
	switch {
	case created == 0 && im.analyzedAt == 0:
		// At the start (or nothing new since): only when autovacuum has
		// not caught up with recent writes.
		var changed, live int64
		err := im.tx.QueryRow(im.ctx, `SELECT coalesce(sum(n_mod_since_analyze), 0), coalesce(sum(n_live_tup), 0)
			FROM pg_stat_user_tables WHERE relid IN ('cis'::regclass, 'ci_identifiers'::regclass, 'ci_relationships'::regclass)`).Scan(&changed, &live)
		if err != nil || changed < live/10+10000 {
			return err
		}
	case atEnd && created == im.analyzedAt:
		return nil
	case !atEnd && created < 2*im.analyzedAt+20000:
		return nil
	}
	im.analyzedAt = created
	_, err := im.tx.Exec(im.ctx, "ANALYZE cis, ci_identifiers, ci_relationships")
	return err
}

// fail records an error for a line. Each line counts once as rejected.
func (im *importer) fail(file string, line int, field, format string, args ...any) {
	if im.replay {
		return
	}
	if im.lastEr.file != file || im.lastEr.line != line {
		im.lastEr.file, im.lastEr.line = file, line
		im.rep.Rejected++
		if file == fileCIs {
			im.rep.CIs.Rejected++
		} else {
			im.rep.Relationships.Rejected++
		}
	}
	if len(im.rep.Errors) >= MaxImportErrors {
		im.rep.ErrorsOmitted++
		return
	}
	im.rep.Errors = append(im.rep.Errors, ImportError{File: file, Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
}

func (im *importer) progress(phase string, lines int) {
	if im.plan {
		phase = PhaseValidate
	}
	if im.opts.Progress != nil {
		im.opts.Progress(ImportProgress{Phase: phase, Lines: lines})
	}
}

// identifierKey is how seen and the identifier lookups name a unique
// attribute's value; nameKey does the same for a CI name.
func identifierKey(typeID int64, attr, value string) string {
	return strconv.FormatInt(typeID, 10) + "\x1f" + attr + "\x1f" + value
}

func nameKey(typeID int64, name string) string {
	return strconv.FormatInt(typeID, 10) + "\x1e" + strings.ToLower(name)
}
