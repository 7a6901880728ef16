package cmdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Verification runs (8.2.6): who checked which CIs, against which baseline
// if any, and what they found different.

// Verification results.
const (
	ResultOK      = "ok"
	ResultDiffers = "differs"
	ResultMissing = "missing" // the CI was not found where it was recorded
)

// Results lists the verification results.
var Results = []string{ResultOK, ResultDiffers, ResultMissing}

// Limits on verification runs.
const (
	MaxFindings    = 10000
	MaxDifferences = 100
	maxDiffValue   = 2000
)

// Difference is one thing a check found different: the field, the value
// the CMDB (or baseline) recorded and the value observed.
type Difference struct {
	Field    string `json:"field"`
	Recorded any    `json:"recorded"`
	Observed any    `json:"observed"`
}

// FindingInput is the result a checker reports for one CI.
type FindingInput struct {
	CIID        int64        `json:"ci_id"`
	Result      string       `json:"result"`
	Differences []Difference `json:"differences"`
}

// NewVerification is a verification run as it is recorded. The CIs
// checked are CIIDs and those of Findings; with a baseline and no CIIDs,
// every CI of the baseline. A checked CI without a finding is ok, or, with
// a baseline, what comparing it with the baseline shows: differs (with the
// differences) or missing (deleted since).
type NewVerification struct {
	BaselineID *int64         `json:"baseline_id"`
	CIIDs      []int64        `json:"ci_ids"`
	Note       string         `json:"note"`
	Findings   []FindingInput `json:"findings"`
}

// ResultCounts counts a run's findings by result.
type ResultCounts struct {
	OK      int `json:"ok"`
	Differs int `json:"differs"`
	Missing int `json:"missing"`
}

// Verification is a recorded verification run.
type Verification struct {
	ID           int64        `json:"id"`
	BaselineID   *int64       `json:"baseline_id"`
	BaselineName string       `json:"baseline_name"`
	Note         string       `json:"note"`
	VerifiedBy   string       `json:"verified_by"`
	ActorID      *int64       `json:"actor_id"`
	CreatedAt    time.Time    `json:"created_at"`
	Counts       ResultCounts `json:"counts"`
}

// Finding is the recorded result for one CI. Name and Type are the CI's
// now; empty when it no longer exists.
type Finding struct {
	CIID        int64        `json:"ci_id"`
	Name        string       `json:"name"`
	Type        string       `json:"type"`
	Result      string       `json:"result"`
	Differences []Difference `json:"differences"`
}

// validFindings checks what needs no database and indexes the findings by
// CI id.
func validFindings(in *NewVerification, v *domainerr.Invalid) map[int64]int {
	domainerr.Text(v, "note", in.Note, false, domainerr.MaxText)
	if in.BaselineID != nil && *in.BaselineID <= 0 {
		v.Add("baseline_id", "must be the id of a baseline")
	}
	if len(in.CIIDs) > MaxBaselineCIs {
		v.Add("ci_ids", "at most %d CIs in one run", MaxBaselineCIs)
	}
	if len(in.Findings) > MaxFindings {
		v.Add("findings", "at most %d findings in one run; record more runs", MaxFindings)
		return nil
	}
	if in.BaselineID == nil && len(in.CIIDs) == 0 && len(in.Findings) == 0 {
		v.Add("ci_ids", "name the CIs checked (ci_ids or findings), or give the baseline_id they were checked against")
	}
	seen := map[int64]int{}
	for i, id := range in.CIIDs {
		if id <= 0 && len(v.Fields) < maxIDErrors {
			v.Add(fmt.Sprintf("ci_ids[%d]", i), "must be the id of a CI")
		} else if j, dup := seen[id]; dup && len(v.Fields) < maxIDErrors {
			v.Add(fmt.Sprintf("ci_ids[%d]", i), "CI %d is already ci_ids[%d]", id, j)
		}
		seen[id] = i
	}
	byCI := map[int64]int{}
	for i, f := range in.Findings {
		if len(v.Fields) >= maxIDErrors {
			break
		}
		p := fmt.Sprintf("findings[%d]", i)
		if f.CIID <= 0 {
			v.Add(p+".ci_id", "must be the id of a CI")
		} else if j, dup := byCI[f.CIID]; dup {
			v.Add(p+".ci_id", "CI %d is already findings[%d]", f.CIID, j)
		} else {
			byCI[f.CIID] = i
		}
		if !slices.Contains(Results, f.Result) {
			v.Add(p+".result", "must be one of %s", strings.Join(Results, ", "))
		}
		switch {
		case f.Result == ResultDiffers && len(f.Differences) == 0:
			v.Add(p+".differences", "a differs finding names at least one difference")
		case f.Result != ResultDiffers && len(f.Differences) > 0:
			v.Add(p+".differences", "only a differs finding lists differences")
		case len(f.Differences) > MaxDifferences:
			v.Add(p+".differences", "at most %d differences", MaxDifferences)
		}
		for j, d := range f.Differences {
			dp := fmt.Sprintf("%s.differences[%d]", p, j)
			domainerr.Text(v, dp+".field", d.Field, true, domainerr.MaxName)
			for name, val := range map[string]any{"recorded": d.Recorded, "observed": d.Observed} {
				if raw, err := json.Marshal(val); err != nil || len(raw) > maxDiffValue {
					v.Add(dp+"."+name, "must be a JSON value of at most %d characters", maxDiffValue)
				}
			}
		}
	}
	return byCI
}

// CreateVerification records a verification run. hook, when not nil, runs
// inside the transaction with the run as recorded (the API stores its
// Idempotency-Key there).
func (s *Service) CreateVerification(ctx context.Context, actor audit.Actor, in NewVerification,
	hook func(context.Context, *store.Tx, Verification) error) (Verification, error) {
	v := domainerr.NewInvalid()
	byCI := validFindings(&in, v)
	if err := v.Err(); err != nil {
		return Verification{}, err
	}
	ver := Verification{BaselineID: in.BaselineID, Note: in.Note, VerifiedBy: actor.Name, CreatedAt: s.recordedAt()}
	if actor.ID != 0 {
		id := actor.ID
		ver.ActorID = &id
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var b *Baseline
		if in.BaselineID != nil {
			bl, err := scanBaseline(tx.QueryRow(ctx, "SELECT "+baselineCols+" FROM ci_baselines WHERE id = ?", *in.BaselineID))
			if errors.Is(err, store.ErrNotFound) {
				return domainerr.Field("baseline_id", "baseline %d does not exist", *in.BaselineID)
			} else if err != nil {
				return err
			}
			b, ver.BaselineName = &bl, bl.Name
		}
		checked, where, err := checkedCIs(ctx, tx, in, b)
		if err != nil {
			return err
		}
		err = store.ScanErr(tx.QueryRow(ctx, `INSERT INTO ci_verifications (baseline_id, note, verified_by, actor_id, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`, in.BaselineID, in.Note, ver.VerifiedBy, ver.ActorID, store.TS(ver.CreatedAt)).Scan(&ver.ID))
		if err != nil {
			return err
		}
		r := runRecorder{tx: tx, id: ver.ID, in: in, byCI: byCI, baseline: b, where: where, bad: domainerr.NewInvalid()}
		for start := 0; start < len(checked); start += snapBatch {
			if err := r.record(ctx, checked[start:min(start+snapBatch, len(checked))]); err != nil {
				return err
			}
		}
		if err := r.bad.Err(); err != nil {
			return err
		}
		ver.Counts = r.counts
		if hook != nil {
			if err := hook(ctx, tx, ver); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, actor, "create", "ci_verification", ver.ID,
			map[string]any{"baseline_id": ver.BaselineID, "note": ver.Note, "counts": ver.Counts})
	})
	if err != nil {
		return Verification{}, err
	}
	return ver, nil
}

// checkedCIs lists the CIs a run checked, in id order, and where each was
// named in the request (for error messages).
func checkedCIs(ctx context.Context, tx *store.Tx, in NewVerification, b *Baseline) ([]int64, map[int64]string, error) {
	where := map[int64]string{}
	for i, f := range in.Findings {
		where[f.CIID] = fmt.Sprintf("findings[%d].ci_id", i)
	}
	for i, id := range in.CIIDs {
		if _, ok := where[id]; !ok {
			where[id] = fmt.Sprintf("ci_ids[%d]", i)
		}
	}
	checked := slices.Sorted(maps.Keys(where))
	if b == nil || len(in.CIIDs) > 0 {
		return checked, where, nil
	}
	// Every CI of the baseline, and those of the findings.
	all := checked
	for after := int64(0); ; {
		snaps, err := baselineSnapshots(ctx, tx, b.ID, after, snapBatch)
		if err != nil {
			return nil, nil, err
		}
		if len(snaps) == 0 {
			break
		}
		for _, sn := range snaps {
			if _, ok := where[sn.CIID]; !ok {
				all = append(all, sn.CIID)
			}
		}
		after = snaps[len(snaps)-1].CIID
		if len(all) > MaxBaselineCIs {
			return nil, nil, domainerr.Field("findings", "the baseline and the findings together name more than %d CIs", MaxBaselineCIs)
		}
	}
	slices.Sort(all)
	return all, where, nil
}

// runRecorder writes a run's findings, a batch of CIs at a time.
type runRecorder struct {
	tx       *store.Tx
	id       int64
	in       NewVerification
	byCI     map[int64]int
	baseline *Baseline
	where    map[int64]string
	bad      *domainerr.Invalid
	counts   ResultCounts
}

func (r *runRecorder) record(ctx context.Context, ids []int64) error {
	cur, err := loadSnapshot(ctx, r.tx, ids)
	if err != nil {
		return err
	}
	old := map[int64]*Snapshot{}
	if r.baseline != nil {
		if old, err = baselineSnapshotsOf(ctx, r.tx, r.baseline.ID, ids); err != nil {
			return err
		}
	}
	rows := make([]any, 0, 4*len(ids))
	for _, id := range ids {
		if cur[id] == nil && old[id] == nil {
			if len(r.bad.Fields) < maxIDErrors {
				r.bad.Add(r.where[id], "CI %d does not exist", id)
			}
			continue
		}
		f := r.finding(id, old[id], cur[id])
		switch f.Result {
		case ResultOK:
			r.counts.OK++
		case ResultDiffers:
			r.counts.Differs++
		case ResultMissing:
			r.counts.Missing++
		}
		raw, err := json.Marshal(f.Differences)
		if err != nil {
			return err
		}
		rows = append(rows, r.id, id, f.Result, string(raw))
	}
	if len(r.bad.Fields) > 0 {
		return nil // report every missing CI; write nothing
	}
	return insertRows(ctx, r.tx, "INSERT INTO ci_verification_items (verification_id, ci_id, result, differences) VALUES ", 4, rows)
}

// finding is the checker's finding for a CI, or the one the baseline
// implies.
func (r *runRecorder) finding(id int64, old, cur *Snapshot) FindingInput {
	if i, ok := r.byCI[id]; ok {
		f := r.in.Findings[i]
		if f.Differences == nil {
			f.Differences = []Difference{}
		}
		return f
	}
	f := FindingInput{CIID: id, Result: ResultOK, Differences: []Difference{}}
	if old == nil {
		return f
	}
	c := CompareSnapshots(old, cur)
	switch c.State {
	case Deleted:
		f.Result = ResultMissing
	case Changed:
		f.Result = ResultDiffers
		for _, d := range c.Changes {
			f.Differences = append(f.Differences, Difference{Field: d.Field, Recorded: d.Old, Observed: d.New})
		}
		for _, e := range c.RelationshipsRemoved {
			f.Differences = append(f.Differences, Difference{Field: "relationships", Recorded: e.String()})
		}
		for _, e := range c.RelationshipsAdded {
			f.Differences = append(f.Differences, Difference{Field: "relationships", Observed: e.String()})
		}
	}
	return f
}

// baselineSnapshotsOf reads a baseline's snapshots of the given CIs.
func baselineSnapshotsOf(ctx context.Context, q store.Querier, baselineID int64, ids []int64) (map[int64]*Snapshot, error) {
	list, args := inList(ids)
	rows, err := q.Query(ctx, "SELECT ci_id, snapshot FROM ci_baseline_items WHERE baseline_id = ? AND ci_id IN ("+list+")",
		append([]any{baselineID}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]*Snapshot{}
	for rows.Next() {
		var id int64
		var raw string
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, err
		}
		sn := &Snapshot{}
		if err := json.Unmarshal([]byte(raw), sn); err != nil {
			return nil, fmt.Errorf("baseline %d, CI %d: %w", baselineID, id, err)
		}
		sn.CIID = id
		out[id] = sn
	}
	return out, rows.Err()
}

const verificationCols = `v.id, v.baseline_id, COALESCE(b.name, ''), v.note, v.verified_by, v.actor_id, v.created_at
	FROM ci_verifications v LEFT JOIN ci_baselines b ON b.id = v.baseline_id`

func scanVerification(sc interface{ Scan(...any) error }) (Verification, error) {
	var v Verification
	var at store.Time
	if err := sc.Scan(&v.ID, &v.BaselineID, &v.BaselineName, &v.Note, &v.VerifiedBy, &v.ActorID, &at); err != nil {
		return Verification{}, store.ScanErr(err)
	}
	v.CreatedAt = at.Time
	return v, nil
}

// countResults fills in the counts of runs.
func countResults(ctx context.Context, q store.Querier, runs []Verification) error {
	if len(runs) == 0 {
		return nil
	}
	ids := make([]int64, len(runs))
	for i, v := range runs {
		ids[i] = v.ID
	}
	list, args := inList(ids)
	rows, err := q.Query(ctx, `SELECT verification_id, result, COUNT(*) FROM ci_verification_items
		WHERE verification_id IN (`+list+`) GROUP BY verification_id, result`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var result string
		var n int
		if err := rows.Scan(&id, &result, &n); err != nil {
			return err
		}
		for i := range runs {
			if runs[i].ID != id {
				continue
			}
			switch result {
			case ResultOK:
				runs[i].Counts.OK = n
			case ResultDiffers:
				runs[i].Counts.Differs = n
			case ResultMissing:
				runs[i].Counts.Missing = n
			}
		}
	}
	return rows.Err()
}

// Verification returns one run with its counts.
func (s *Service) Verification(ctx context.Context, id int64) (Verification, error) {
	v, err := scanVerification(s.DB.QueryRow(ctx, "SELECT "+verificationCols+" WHERE v.id = ?", id))
	if err != nil {
		return Verification{}, err
	}
	runs := []Verification{v}
	err = countResults(ctx, s.DB, runs)
	return runs[0], err
}

// VerificationPage is a page of runs, newest first.
type VerificationPage struct {
	Items      []Verification `json:"items"`
	NextCursor string         `json:"next_cursor"`
}

// Verifications lists runs, newest first; baselineID > 0 keeps those made
// against that baseline.
func (s *Service) Verifications(ctx context.Context, baselineID int64, limit int, cursor string) (VerificationPage, error) {
	limit = pageLimit(limit)
	key, err := decodePageKey(cursor)
	if err != nil {
		return VerificationPage{}, err
	}
	conds, args := []string{"1 = 1"}, []any{}
	if baselineID > 0 {
		conds, args = append(conds, "v.baseline_id = ?"), append(args, baselineID)
	}
	if key.ID > 0 {
		conds, args = append(conds, "v.id < ?"), append(args, key.ID)
	}
	rows, err := s.DB.Query(ctx, "SELECT "+verificationCols+" WHERE "+strings.Join(conds, " AND ")+" ORDER BY v.id DESC LIMIT ?",
		append(args, limit+1)...)
	if err != nil {
		return VerificationPage{}, err
	}
	page := VerificationPage{Items: []Verification{}}
	for rows.Next() {
		v, err := scanVerification(rows)
		if err != nil {
			rows.Close()
			return VerificationPage{}, err
		}
		page.Items = append(page.Items, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return VerificationPage{}, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.NextCursor = pageKey{ID: page.Items[limit-1].ID}.encode()
	}
	return page, countResults(ctx, s.DB, page.Items)
}

// FindingPage is a page of a run's findings, by CI id.
type FindingPage struct {
	Items      []Finding `json:"items"`
	NextCursor string    `json:"next_cursor"`
}

// Findings pages through a run's findings; result, when given, keeps
// those with that result.
func (s *Service) Findings(ctx context.Context, id int64, result string, limit int, cursor string) (FindingPage, error) {
	if result != "" && !slices.Contains(Results, result) {
		return FindingPage{}, domainerr.Field("result", "must be one of %s", strings.Join(Results, ", "))
	}
	if _, err := scanVerification(s.DB.QueryRow(ctx, "SELECT "+verificationCols+" WHERE v.id = ?", id)); err != nil {
		return FindingPage{}, err
	}
	limit = pageLimit(limit)
	key, err := decodePageKey(cursor)
	if err != nil {
		return FindingPage{}, err
	}
	conds, args := "i.verification_id = ? AND i.ci_id > ?", []any{id, key.ID}
	if result != "" {
		conds, args = conds+" AND i.result = ?", append(args, result)
	}
	rows, err := s.DB.Query(ctx, `SELECT i.ci_id, COALESCE(c.name, ''), COALESCE(t.name, ''), i.result, i.differences
		FROM ci_verification_items i LEFT JOIN cis c ON c.id = i.ci_id LEFT JOIN ci_types t ON t.id = c.type_id
		WHERE `+conds+` ORDER BY i.ci_id LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return FindingPage{}, err
	}
	defer rows.Close()
	page := FindingPage{Items: []Finding{}}
	for rows.Next() {
		var f Finding
		var raw string
		if err := rows.Scan(&f.CIID, &f.Name, &f.Type, &f.Result, &raw); err != nil {
			return FindingPage{}, err
		}
		if json.Unmarshal([]byte(raw), &f.Differences) != nil || f.Differences == nil {
			f.Differences = []Difference{}
		}
		page.Items = append(page.Items, f)
	}
	if err := rows.Err(); err != nil {
		return FindingPage{}, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.NextCursor = pageKey{ID: page.Items[limit-1].CIID}.encode()
	}
	return page, nil
}
