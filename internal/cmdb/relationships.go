package cmdb

import (
	"context"
	"errors"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// NewRelationship is what a client sends to relate two CIs.
type NewRelationship struct {
	SourceID  int64   `json:"source_id"`
	TargetID  int64   `json:"target_id"`
	Type      RelType `json:"type"`
	ChangeRef string  `json:"change_ref"`
}

// RelationshipView is a relationship with the names and types of its ends.
type RelationshipView struct {
	Relationship
	SourceName string `json:"source_name"`
	SourceType string `json:"source_type"`
	TargetName string `json:"target_name"`
	TargetType string `json:"target_type"`
}

// Which way a relationship runs, seen from one of its CIs.
const (
	Outgoing = "outgoing" // the CI is the source
	Incoming = "incoming" // the CI is the target
)

// Which way failure travels along a relationship, seen from one of its CIs.
const (
	ImpactsOther  = "downstream" // the other CI is impacted when this one fails
	ImpactedBy    = "upstream"   // this CI is impacted when the other fails
	ImpactNowhere = "none"       // the relationship does not carry failure
)

// RelatedCI is one relationship of a CI, described from that CI: the CI
// at the other end, which way the relationship runs and which way failure
// travels along it.
type RelatedCI struct {
	RelationshipID int64     `json:"relationship_id"`
	Type           RelType   `json:"type"`
	Direction      string    `json:"direction"`
	Impact         string    `json:"impact"`
	CIID           int64     `json:"ci_id"`
	CIName         string    `json:"ci_name"`
	CIType         string    `json:"ci_type"`
	CIStatus       Status    `json:"ci_status"`
	CreatedAt      time.Time `json:"created_at"`
}

// RelatedFilter narrows the relationships of one CI.
type RelatedFilter struct {
	Types     []RelType
	Direction string // Outgoing, Incoming or "" for both
	Limit     int
	Cursor    string
}

// RelatedPage is one page of a CI's relationships.
type RelatedPage struct {
	Items      []RelatedCI `json:"items"`
	NextCursor string      `json:"next_cursor"`
}

// RelFilter selects relationships for the global list.
type RelFilter struct {
	Types    []RelType
	SourceID int64
	TargetID int64
	Limit    int
	Cursor   string
}

// RelPage is one page of relationships.
type RelPage struct {
	Items      []RelationshipView `json:"items"`
	NextCursor string             `json:"next_cursor"`
}

// RelHook runs inside the transaction that creates a relationship.
type RelHook = func(ctx context.Context, tx *store.Tx, r RelationshipView) error

const relCols = `r.id, r.source_id, r.target_id, r.type, r.created_at, s.name, st.name, t.name, tt.name`

const relFrom = ` FROM ci_relationships r
	JOIN cis s ON s.id = r.source_id JOIN ci_types st ON st.id = s.type_id
	JOIN cis t ON t.id = r.target_id JOIN ci_types tt ON tt.id = t.type_id`

func scanRel(row rowScanner) (RelationshipView, error) {
	var r RelationshipView
	var created store.Time
	if err := row.Scan(&r.ID, &r.SourceID, &r.TargetID, &r.Type, &created, &r.SourceName, &r.SourceType, &r.TargetName, &r.TargetType); err != nil {
		return r, store.ScanErr(err)
	}
	r.CreatedAt = created.Time
	return r, nil
}

func getRel(ctx context.Context, q store.Querier, id int64) (RelationshipView, error) {
	return scanRel(q.QueryRow(ctx, "SELECT "+relCols+relFrom+" WHERE r.id = ?", id))
}

// GetRelationship loads one relationship.
func (s *Service) GetRelationship(ctx context.Context, id int64) (RelationshipView, error) {
	return getRel(ctx, s.DB, id)
}

// RelTypeNames lists the relationship types for messages.
func RelTypeNames() string {
	names := make([]string, len(RelTypes))
	for i, t := range RelTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// Relate records a relationship. Cycles are allowed: the impact analysis
// handles them.
func (s *Service) Relate(ctx context.Context, actor audit.Actor, in NewRelationship, hook RelHook) (RelationshipView, error) {
	var out RelationshipView
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if out, err = s.RelateTx(ctx, tx, actor, in); err != nil {
			return err
		}
		if hook != nil {
			return hook(ctx, tx, out)
		}
		return nil
	})
	return out, err
}

// RelateTx is Relate inside the caller's transaction.
func (s *Service) RelateTx(ctx context.Context, tx *store.Tx, actor audit.Actor, in NewRelationship) (RelationshipView, error) {
	v := domainerr.NewInvalid()
	if !in.Type.Valid() {
		if in.Type == "" {
			v.Add("type", "is required: one of %s", RelTypeNames())
		} else {
			v.Add("type", "%q is not a relationship type; use one of %s", string(in.Type), RelTypeNames())
		}
	}
	domainerr.Text(v, "change_ref", in.ChangeRef, false, domainerr.MaxShort)
	names := map[int64]string{}
	for _, end := range []struct {
		field string
		id    int64
	}{{"source_id", in.SourceID}, {"target_id", in.TargetID}} {
		if end.id <= 0 {
			v.Add(end.field, "is required: the id of a CI")
			continue
		}
		var name string
		err := store.ScanErr(tx.QueryRow(ctx, "SELECT name FROM cis WHERE id = ?", end.id).Scan(&name))
		if errors.Is(err, store.ErrNotFound) {
			v.Add(end.field, "CI %d does not exist", end.id)
			continue
		} else if err != nil {
			return RelationshipView{}, err
		}
		names[end.id] = name
	}
	if in.SourceID > 0 && in.SourceID == in.TargetID {
		v.Add("target_id", "a CI cannot be related to itself")
	}
	if err := v.Err(); err != nil {
		return RelationshipView{}, err
	}
	var existing int64
	err := store.ScanErr(tx.QueryRow(ctx, "SELECT id FROM ci_relationships WHERE source_id = ? AND target_id = ? AND type = ?",
		in.SourceID, in.TargetID, string(in.Type)).Scan(&existing))
	if err == nil {
		return RelationshipView{}, domainerr.Conflictf("%s already %s %s (relationship %d)", names[in.SourceID], in.Type, names[in.TargetID], existing)
	} else if !errors.Is(err, store.ErrNotFound) {
		return RelationshipView{}, err
	}
	now := s.now()
	var id int64
	err = store.ScanErr(tx.QueryRow(ctx, `INSERT INTO ci_relationships (source_id, target_id, type, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		in.SourceID, in.TargetID, string(in.Type), store.TS(now)).Scan(&id))
	if errors.Is(err, store.ErrConflict) {
		return RelationshipView{}, domainerr.Conflictf("%s already %s %s", names[in.SourceID], in.Type, names[in.TargetID])
	} else if err != nil {
		return RelationshipView{}, err
	}
	target := in.TargetID
	if err := RecordChange(ctx, tx, actor, Change{CIID: in.SourceID, At: now, Action: ActionRelate, RelatedID: &target,
		RelType: in.Type, ChangeRef: in.ChangeRef}); err != nil {
		return RelationshipView{}, err
	}
	out, err := getRel(ctx, tx, id)
	if err != nil {
		return RelationshipView{}, err
	}
	data := map[string]any{"source_id": in.SourceID, "target_id": in.TargetID, "type": in.Type}
	if in.ChangeRef != "" {
		data["change_ref"] = in.ChangeRef
	}
	return out, audit.Record(ctx, tx, actor, "create", "ci_relationship", id, data)
}

// Unrelate removes a relationship.
func (s *Service) Unrelate(ctx context.Context, actor audit.Actor, id int64, changeRef string) error {
	if len(changeRef) > domainerr.MaxShort {
		return domainerr.Field("change_ref", "must be at most %d characters", domainerr.MaxShort)
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error { return s.UnrelateTx(ctx, tx, actor, id, changeRef) })
}

// UnrelateTx is Unrelate inside the caller's transaction.
func (s *Service) UnrelateTx(ctx context.Context, tx *store.Tx, actor audit.Actor, id int64, changeRef string) error {
	cur, err := getRel(ctx, tx, id)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "DELETE FROM ci_relationships WHERE id = ?", id); err != nil {
		return err
	}
	target := cur.TargetID
	if err := RecordChange(ctx, tx, actor, Change{CIID: cur.SourceID, At: s.now(), Action: ActionUnrelate, RelatedID: &target,
		RelType: cur.Type, ChangeRef: changeRef}); err != nil {
		return err
	}
	data := map[string]any{"source_id": cur.SourceID, "target_id": cur.TargetID, "type": cur.Type}
	if changeRef != "" {
		data["change_ref"] = changeRef
	}
	return audit.Record(ctx, tx, actor, "delete", "ci_relationship", id, data)
}

// relTypesClause restricts r.type to types; every type must be valid.
func relTypesClause(types []RelType, field string) (string, []any, error) {
	if len(types) == 0 {
		return "", nil, nil
	}
	vals := make([]any, len(types))
	for i, t := range types {
		if !t.Valid() {
			return "", nil, domainerr.Field(field, "%q is not a relationship type; use %s", string(t), RelTypeNames())
		}
		vals[i] = string(t)
	}
	return " AND r.type IN (" + placeholders(len(vals)) + ")", vals, nil
}

// Relationships lists relationships by id, filtered by type and ends.
func (s *Service) Relationships(ctx context.Context, f RelFilter) (RelPage, error) {
	limit, err := checkLimit(f.Limit)
	if err != nil {
		return RelPage{}, err
	}
	after, err := decodeIDCursor(f.Cursor)
	if err != nil {
		return RelPage{}, err
	}
	clause, args, err := relTypesClause(f.Types, "type")
	if err != nil {
		return RelPage{}, err
	}
	q := "SELECT " + relCols + relFrom + " WHERE r.id > ?" + clause
	args = append([]any{after}, args...)
	if f.SourceID != 0 {
		q += " AND r.source_id = ?"
		args = append(args, f.SourceID)
	}
	if f.TargetID != 0 {
		q += " AND r.target_id = ?"
		args = append(args, f.TargetID)
	}
	rows, err := s.DB.Query(ctx, q+" ORDER BY r.id LIMIT ?", append(args, limit+1)...)
	if err != nil {
		return RelPage{}, err
	}
	defer rows.Close()
	page := RelPage{Items: []RelationshipView{}}
	for rows.Next() {
		r, err := scanRel(rows)
		if err != nil {
			return RelPage{}, err
		}
		page.Items = append(page.Items, r)
	}
	if err := rows.Err(); err != nil {
		return RelPage{}, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.NextCursor = encodeIDCursor(page.Items[limit-1].ID)
	}
	return page, nil
}

// CIRelationships lists the relationships of CI id in both directions
// (or one), by relationship id, each with the CI at the other end.
func (s *Service) CIRelationships(ctx context.Context, id int64, f RelatedFilter) (RelatedPage, error) {
	limit, err := checkLimit(f.Limit)
	if err != nil {
		return RelatedPage{}, err
	}
	after, err := decodeIDCursor(f.Cursor)
	if err != nil {
		return RelatedPage{}, err
	}
	if f.Direction != "" && f.Direction != Outgoing && f.Direction != Incoming {
		return RelatedPage{}, domainerr.Field("direction", "must be outgoing or incoming")
	}
	clause, typeArgs, err := relTypesClause(f.Types, "type")
	if err != nil {
		return RelatedPage{}, err
	}
	var one int
	if err := store.ScanErr(s.DB.QueryRow(ctx, "SELECT 1 FROM cis WHERE id = ?", id).Scan(&one)); err != nil {
		return RelatedPage{}, err
	}
	side := func(dir, self, other string) (string, []any) {
		return `SELECT r.id, r.type, r.source_id, r.target_id, r.created_at, o.id, o.name, ot.name, o.status, '` + dir + `'
			FROM ci_relationships r JOIN cis o ON o.id = r.` + other + ` JOIN ci_types ot ON ot.id = o.type_id
			WHERE r.` + self + ` = ? AND r.id > ?` + clause, append([]any{id, after}, typeArgs...)
	}
	var parts []string
	var args []any
	if f.Direction != Incoming {
		q, a := side(Outgoing, "source_id", "target_id")
		parts, args = append(parts, q), append(args, a...)
	}
	if f.Direction != Outgoing {
		q, a := side(Incoming, "target_id", "source_id")
		parts, args = append(parts, q), append(args, a...)
	}
	rows, err := s.DB.Query(ctx, strings.Join(parts, " UNION ALL ")+" ORDER BY 1 LIMIT ?", append(args, limit+1)...)
	if err != nil {
		return RelatedPage{}, err
	}
	defer rows.Close()
	page := RelatedPage{Items: []RelatedCI{}}
	for rows.Next() {
		var r RelatedCI
		var src, dst int64
		var created store.Time
		if err := rows.Scan(&r.RelationshipID, &r.Type, &src, &dst, &created, &r.CIID, &r.CIName, &r.CIType, &r.CIStatus, &r.Direction); err != nil {
			return RelatedPage{}, err
		}
		r.CreatedAt = created.Time
		r.Impact = ImpactNowhere
		if provider, _, _, ok := Impact(src, dst, r.Type); ok {
			r.Impact = ImpactedBy
			if provider == id {
				r.Impact = ImpactsOther
			}
		}
		page.Items = append(page.Items, r)
	}
	if err := rows.Err(); err != nil {
		return RelatedPage{}, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.NextCursor = encodeIDCursor(page.Items[limit-1].RelationshipID)
	}
	return page, nil
}
