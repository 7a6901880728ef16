package record

import (
	"context"
	"errors"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Link types as a person adds them, read from the record they stand on.
// Each pair names the same link from its two ends.
const (
	Related      = "related"
	Parent       = "parent"        // the target is this record's parent
	Child        = "child"         // the target is this record's child
	DuplicateOf  = "duplicate_of"  // this record duplicates the target
	DuplicatedBy = "duplicated_by" // the target duplicates this record
	CausedBy     = "caused_by"     // the target caused this record
	Causes       = "causes"        // this record caused the target
)

// LinkTypes lists what a person may choose, in the order forms show them.
var LinkTypes = []string{Related, Parent, Child, DuplicateOf, DuplicatedBy, CausedBy, Causes}

// inverse names each type from the other end; stored is the type kept in
// the table and whether the ends swap to keep it.
var linkTypes = map[string]struct {
	inverse string
	stored  string
	swap    bool
}{
	Related:      {Related, Related, false},
	Parent:       {Child, Parent, false},
	Child:        {Parent, Parent, true},
	DuplicateOf:  {DuplicatedBy, DuplicateOf, false},
	DuplicatedBy: {DuplicateOf, DuplicateOf, true},
	CausedBy:     {Causes, CausedBy, false},
	Causes:       {CausedBy, CausedBy, true},
}

// Link is one link seen from the record it was asked for.
type Link struct {
	ID        int64     `json:"id"`
	Type      string    `json:"type"`
	Target    Summary   `json:"target"`
	CreatedAt time.Time `json:"created_at"`
}

// phrase is how a journal reads a link: "caused by REQ-000003".
func phrase(typ, number string) string { return strings.ReplaceAll(typ, "_", " ") + " " + number }

// end is one side of a link.
type end struct {
	kind string
	id   int64
}

func (a end) less(b end) bool { return a.kind < b.kind || (a.kind == b.kind && a.id < b.id) }

// Links is the link service over the declared kinds.
type Links struct {
	DB    *store.DB
	Kinds *Kinds
}

// AddLink links record id of kind k to the record numbered target, as p.
// A target that is missing or that p may not see is store.ErrNotFound.
func (l *Links) AddLink(ctx context.Context, p *auth.Principal, k *Kind, id int64, typ, target string) (Link, error) {
	if !p.Can(k.Update) {
		return Link{}, domainerr.ErrForbidden
	}
	lt, ok := linkTypes[typ]
	if !ok {
		return Link{}, domainerr.Field("type", "must be one of related, parent, child, duplicate_of, duplicated_by, caused_by, causes")
	}
	self, err := k.Load(ctx, l.DB, p, id)
	if err != nil {
		return Link{}, err
	}
	tk, tid, ok := l.Kinds.ParseNumber(target)
	if !ok {
		return Link{}, domainerr.Field("target", "must be a record number such as INC-000012 or REQ-000003")
	}
	// A target p may not see answers exactly as a missing one.
	if !p.Can(tk.Read) {
		return Link{}, store.ErrNotFound
	}
	other, err := tk.Load(ctx, l.DB, p, tid)
	if err != nil {
		return Link{}, err
	}
	from, to := end{k.Name, id}, end{tk.Name, tid}
	if from == to {
		return Link{}, domainerr.Field("target", "a record cannot be linked to itself")
	}
	if lt.swap || (lt.stored == Related && to.less(from)) {
		from, to = to, from
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	var out Link
	err = l.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := checkNewLink(ctx, tx, lt.stored, from, to); err != nil {
			return err
		}
		var linkID int64
		err := tx.QueryRow(ctx, `INSERT INTO record_links (from_kind, from_id, type, to_kind, to_id, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, from.kind, from.id, lt.stored, to.kind, to.id, p.UserID, store.TS(now)).Scan(&linkID)
		if err := store.ScanErr(err); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return domainerr.Field("target", "%s is already linked as %s", other.Number, typ)
			}
			return err
		}
		if err := k.Note(ctx, tx, p, id, "link", "", phrase(typ, other.Number), false); err != nil {
			return err
		}
		if err := tk.Note(ctx, tx, p, tid, "link", "", phrase(lt.inverse, self.Number), false); err != nil {
			return err
		}
		out = Link{ID: linkID, Type: typ, Target: other, CreatedAt: now}
		return audit.Record(ctx, tx, p.Actor(), "create", "record_link", linkID,
			map[string]any{"from": self.Number, "type": typ, "to": other.Number})
	})
	return out, err
}

// checkNewLink refuses a duplicate link (related in either direction) and
// a parent that would make a loop or give a record a second parent.
func checkNewLink(ctx context.Context, tx *store.Tx, typ string, from, to end) error {
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM record_links WHERE type = ? AND
		((from_kind = ? AND from_id = ? AND to_kind = ? AND to_id = ?) OR (from_kind = ? AND from_id = ? AND to_kind = ? AND to_id = ?))`,
		typ, from.kind, from.id, to.kind, to.id, to.kind, to.id, from.kind, from.id).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return domainerr.Field("target", "these records are already linked that way")
	}
	if typ != Parent {
		return nil
	}
	var parent string
	err := store.ScanErr(tx.QueryRow(ctx, `SELECT to_kind FROM record_links WHERE from_kind = ? AND from_id = ? AND type = 'parent'`,
		from.kind, from.id).Scan(&parent))
	if err == nil {
		return domainerr.Field("target", "the child already has a parent; remove that link first")
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	// Walk up from the new parent: meeting the child means a loop.
	cur := to
	for depth := 0; depth < 1000; depth++ {
		if cur == from {
			return domainerr.Field("target", "the link would make a record its own ancestor")
		}
		var next end
		err := store.ScanErr(tx.QueryRow(ctx, `SELECT to_kind, to_id FROM record_links WHERE from_kind = ? AND from_id = ? AND type = 'parent'`,
			cur.kind, cur.id).Scan(&next.kind, &next.id))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		cur = next
	}
	return domainerr.Field("target", "the parent chain is too deep")
}

// maxLinks bounds one record's link list.
const maxLinks = 500

// ListLinks lists the links of record id of kind k that p may see, each
// read from this record's side. Links to records p may not see are left out.
func (l *Links) ListLinks(ctx context.Context, p *auth.Principal, k *Kind, id int64) ([]Link, error) {
	if _, err := k.Load(ctx, l.DB, p, id); err != nil {
		return nil, err
	}
	rows, err := l.DB.Query(ctx, `SELECT id, type, from_kind, from_id, to_kind, to_id, created_at FROM record_links
		WHERE (from_kind = ? AND from_id = ?) OR (to_kind = ? AND to_id = ?) ORDER BY id LIMIT ?`,
		k.Name, id, k.Name, id, maxLinks)
	if err != nil {
		return nil, err
	}
	type row struct {
		link  Link
		other end
	}
	var found []row
	for rows.Next() {
		var r row
		var from, to end
		var at store.Time
		if err := rows.Scan(&r.link.ID, &r.link.Type, &from.kind, &from.id, &to.kind, &to.id, &at); err != nil {
			rows.Close()
			return nil, err
		}
		r.link.CreatedAt = at.Time
		r.other = to
		if to == (end{k.Name, id}) {
			r.other = from
			r.link.Type = linkTypes[r.link.Type].inverse
		}
		found = append(found, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []Link{}
	for _, r := range found {
		ok, s, err := l.visible(ctx, p, r.other)
		if err != nil {
			return nil, err
		}
		if ok {
			r.link.Target = s
			out = append(out, r.link)
		}
	}
	return out, nil
}

func (l *Links) visible(ctx context.Context, p *auth.Principal, e end) (bool, Summary, error) {
	k, ok := l.Kinds.Get(e.kind)
	if !ok || !p.Can(k.Read) {
		return false, Summary{}, nil
	}
	s, err := k.Load(ctx, l.DB, p, e.id)
	if errors.Is(err, store.ErrNotFound) {
		return false, Summary{}, nil
	}
	return err == nil, s, err
}

// RemoveLink deletes link linkID from record id of kind k.
func (l *Links) RemoveLink(ctx context.Context, p *auth.Principal, k *Kind, id, linkID int64) error {
	if !p.Can(k.Update) {
		return domainerr.ErrForbidden
	}
	self, err := k.Load(ctx, l.DB, p, id)
	if err != nil {
		return err
	}
	return l.DB.InTx(ctx, func(tx *store.Tx) error {
		var typ string
		var from, to end
		err := store.ScanErr(tx.QueryRow(ctx, `SELECT type, from_kind, from_id, to_kind, to_id FROM record_links
			WHERE id = ? AND ((from_kind = ? AND from_id = ?) OR (to_kind = ? AND to_id = ?))`,
			linkID, k.Name, id, k.Name, id).Scan(&typ, &from.kind, &from.id, &to.kind, &to.id))
		if err != nil {
			return err
		}
		other := to
		if to == (end{k.Name, id}) {
			other, typ = from, linkTypes[typ].inverse
		}
		ok, target, err := l.visible(ctx, p, other)
		if err != nil {
			return err
		}
		if !ok {
			return store.ErrNotFound
		}
		tk, _ := l.Kinds.Get(other.kind)
		if _, err := tx.Exec(ctx, "DELETE FROM record_links WHERE id = ?", linkID); err != nil {
			return err
		}
		if err := k.Note(ctx, tx, p, id, "link", phrase(typ, target.Number), "", false); err != nil {
			return err
		}
		if err := tk.Note(ctx, tx, p, other.id, "link", phrase(linkTypes[typ].inverse, self.Number), "", false); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "delete", "record_link", linkID,
			map[string]any{"from": self.Number, "type": typ, "to": target.Number})
	})
}
