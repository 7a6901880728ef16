// Package record is the kernel every ticket-like kind shares. A kind
// (incidents, requests, and the areas that come after them) declares its
// number prefix, its table, who may see and change a record and how its
// journal is written; the shared machinery reads that declaration for
// record numbers, links between records of any kind, attachments, saved
// list filters, bulk edits and search across kinds.
package record

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"steward/internal/auth"
	"steward/internal/store"
)

// Kind is the declaration of one ticket-like kind.
type Kind struct {
	// Name is the kind's name in links, attachments and search results:
	// "incident", "request".
	Name string
	// Label is the name people read: "Incident", "Service request".
	Label string
	// Prefix starts every number: "INC-" gives INC-000123.
	Prefix string
	// Path is the collection under /api/v1 and on the web: "incidents".
	Path string

	// Read, Update and Comment are the permissions to see a record, to
	// change it (links, bulk edits) and to add to it (attachments).
	Read, Update, Comment auth.Permission

	// Load returns the summary of record id as p may see it, or
	// store.ErrNotFound when it does not exist or p may not see it.
	Load func(ctx context.Context, q store.Querier, p *auth.Principal, id int64) (Summary, error)
	// Note appends a line to the record's journal inside tx: what changed
	// about it (a link, an attachment), shown to the requester when public.
	Note func(ctx context.Context, tx *store.Tx, p *auth.Principal, id int64, field, old, new string, public bool) error
	// Entry reports whether journal entry entryID belongs to record id
	// and is public (a comment rather than a work note); store.ErrNotFound
	// when it is not the record's.
	Entry func(ctx context.Context, q store.Querier, id, entryID int64) (public bool, err error)
	// Search finds records matching words, newest first, as p may see them.
	Search func(ctx context.Context, p *auth.Principal, words string, limit int) ([]Summary, error)
	// Patch applies one bulk-edit row: set holds the fields to change, as
	// the kind's PATCH body does. It runs in tx so that a bulk edit can be
	// all or nothing.
	Patch func(ctx context.Context, tx *store.Tx, p *auth.Principal, id int64, set map[string]any) error
	// FilterFields are the query parameters the kind's list accepts; a
	// saved filter may use only these.
	FilterFields []string
	// Machine is the kind's life as a table of states and moves.
	Machine *Machine
}

// Number formats id as the kind's record number.
func (k *Kind) Number(id int64) string { return fmt.Sprintf("%s%06d", k.Prefix, id) }

// URL is where a person opens a record of this kind.
func (k *Kind) URL(id int64) string { return "/" + k.Path + "/" + k.Number(id) }

// Summary is what links, search results and pickers show of a record.
type Summary struct {
	Kind   string `json:"kind"`
	ID     int64  `json:"id"`
	Number string `json:"number"`
	Title  string `json:"title"`
	State  string `json:"state"`
	URL    string `json:"url"`
}

// Kinds is the set of declared kinds. It is filled once at start and read
// from then on; adding is safe at any time.
type Kinds struct {
	mu     sync.RWMutex
	byName map[string]*Kind
	order  []*Kind
}

// NewKinds makes an empty set.
func NewKinds() *Kinds { return &Kinds{byName: map[string]*Kind{}} }

// Add declares k. Declaring the same name or prefix twice is a programming
// error and panics at start.
func (ks *Kinds) Add(k *Kind) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	for _, o := range ks.order {
		if o.Name == k.Name || strings.EqualFold(o.Prefix, k.Prefix) {
			panic("record: kind " + k.Name + " declared twice or shares a prefix with " + o.Name)
		}
	}
	ks.byName[k.Name] = k
	ks.order = append(ks.order, k)
}

// Get returns the kind named name.
func (ks *Kinds) Get(name string) (*Kind, bool) {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	k, ok := ks.byName[name]
	return k, ok
}

// All lists the kinds in declaration order.
func (ks *Kinds) All() []*Kind {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	return append([]*Kind(nil), ks.order...)
}

// ParseNumber reads a record number of any declared kind, in any case and
// with or without its leading zeros: "INC-000022", "inc-22", "REQ 45".
func (ks *Kinds) ParseNumber(s string) (*Kind, int64, bool) {
	for _, k := range ks.All() {
		if id, ok := NumberID(k.Prefix, s); ok {
			return k, id, true
		}
	}
	return nil, 0, false
}

// NumberID reads a record number that starts with prefix ("INC-"), in any
// case, with or without the dash and the leading zeros.
func NumberID(prefix, s string) (int64, bool) {
	s = strings.TrimSpace(s)
	p := strings.TrimSuffix(prefix, "-")
	if len(s) <= len(p) || !strings.EqualFold(s[:len(p)], p) {
		return 0, false
	}
	rest := strings.TrimLeft(s[len(p):], "- #")
	if rest == "" || rest[0] < '0' || rest[0] > '9' {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil && id > 0
}

// ParseRef reads a reference to a record of kind k: its number or its id.
func (k *Kind) ParseRef(ref string) (int64, bool) {
	s := strings.TrimSpace(ref)
	p := strings.TrimSuffix(k.Prefix, "-")
	if len(s) > len(p) && strings.EqualFold(s[:len(p)], p) {
		s = strings.TrimLeft(s[len(p):], "- #")
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 || strings.HasPrefix(s, "+") {
		return 0, false
	}
	return id, true
}

// Find resolves a record number to the record p may see, or ErrNotFound.
func (ks *Kinds) Find(ctx context.Context, q store.Querier, p *auth.Principal, number string) (*Kind, Summary, error) {
	k, id, ok := ks.ParseNumber(number)
	if !ok || !p.Can(k.Read) {
		return nil, Summary{}, store.ErrNotFound
	}
	s, err := k.Load(ctx, q, p, id)
	return k, s, err
}

// CountUpTo counts the rows of from that match where, stopping at limit:
// a queue's tab shows "999+" rather than walk a whole table for its number.
func CountUpTo(ctx context.Context, q store.Querier, from string, where []string, args []any, limit int) (int, error) {
	query := "SELECT 1 FROM " + from
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	var n int
	err := q.QueryRow(ctx, "SELECT COUNT(*) FROM ("+query+" LIMIT ?) x", append(args, limit)...).Scan(&n)
	return n, err
}
