package sms

import (
	"context"
	"errors"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Process is one process of the SMS (4.4) with its owner, its RACI (5.3)
// and the processes it exchanges work with.
type Process struct {
	ID          int64       `json:"id"`
	Key         string      `json:"key"`
	Name        string      `json:"name"`
	Clause      string      `json:"clause"`
	Description string      `json:"description"`
	OwnerID     *int64      `json:"owner_id"`
	OwnerName   string      `json:"owner_name"`
	RACI        []RACILine  `json:"raci"`
	Interfaces  []Interface `json:"interfaces"`
	UpdatedAt   *time.Time  `json:"updated_at"`
	Version     int         `json:"version"`
}

// RACILine says who is Responsible, Accountable, Consulted or Informed for
// one activity of a process: a person or a support group.
type RACILine struct {
	Activity string `json:"activity"`
	UserID   int64  `json:"user_id,omitempty"`
	GroupID  int64  `json:"group_id,omitempty"`
	Who      string `json:"who,omitempty"`
	Letter   string `json:"letter"`
}

// Interface is a hand-over of work from one process to another.
type Interface struct {
	FromKey     string `json:"from_key"`
	FromName    string `json:"from_name"`
	ToKey       string `json:"to_key"`
	ToName      string `json:"to_name"`
	Description string `json:"description"`
}

// ProcessInput changes a process's owner (0 for none) and description.
type ProcessInput struct {
	OwnerID     *int64  `json:"owner_id"`
	Description *string `json:"description"`
}

// RACILetters are the letters of a RACI line.
var RACILetters = []string{"R", "A", "C", "I"}

// MaxRACI bounds the lines of one process's RACI.
const MaxRACI = 200

const processCols = "p.id, p.key, p.name, p.clause, p.description, p.owner_id, COALESCE(u.name, ''), p.updated_at, p.version"

const processFrom = " FROM processes p LEFT JOIN users u ON u.id = p.owner_id"

func scanProcess(row interface{ Scan(...any) error }) (Process, error) {
	var p Process
	var owner int64
	var up store.Time
	if err := row.Scan(&p.ID, &p.Key, &p.Name, &p.Clause, &p.Description, nullID{&owner}, &p.OwnerName, &up, &p.Version); err != nil {
		return p, store.ScanErr(err)
	}
	if owner != 0 {
		p.OwnerID = &owner
	}
	p.UpdatedAt, p.RACI, p.Interfaces = up.Ptr(), []RACILine{}, []Interface{}
	return p, nil
}

// Processes lists every process, in clause order, with RACI and interfaces.
func (s *Service) Processes(ctx context.Context, q store.Querier) ([]Process, error) {
	rows, err := q.Query(ctx, "SELECT "+processCols+processFrom+" ORDER BY p.id LIMIT ?", MaxList)
	if err != nil {
		return nil, err
	}
	out := []Process{}
	for rows.Next() {
		p, err := scanProcess(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, loadProcessParts(ctx, q, out)
}

// Process loads one process by key.
func (s *Service) Process(ctx context.Context, q store.Querier, key string) (Process, error) {
	p, err := scanProcess(q.QueryRow(ctx, "SELECT "+processCols+processFrom+" WHERE p.key = ?", key))
	if err != nil {
		return p, err
	}
	list := []Process{p}
	if err := loadProcessParts(ctx, q, list); err != nil {
		return p, err
	}
	return list[0], nil
}

func loadProcessParts(ctx context.Context, q store.Querier, list []Process) error {
	if len(list) == 0 {
		return nil
	}
	at := map[int64]*Process{}
	args := make([]any, len(list))
	for i := range list {
		at[list[i].ID] = &list[i]
		args[i] = list[i].ID
	}
	in := "(" + strings.TrimSuffix(strings.Repeat("?,", len(args)), ",") + ")"
	rows, err := q.Query(ctx, `SELECT r.process_id, r.activity, r.user_id, r.group_id, COALESCE(u.name, g.name, ''), r.letter
		FROM process_raci r LEFT JOIN users u ON u.id = r.user_id LEFT JOIN support_groups g ON g.id = r.group_id
		WHERE r.process_id IN `+in+` ORDER BY r.process_id, r.id`, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var pid int64
		var l RACILine
		if err := rows.Scan(&pid, &l.Activity, nullID{&l.UserID}, nullID{&l.GroupID}, &l.Who, &l.Letter); err != nil {
			rows.Close()
			return err
		}
		at[pid].RACI = append(at[pid].RACI, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = q.Query(ctx, `SELECT f.id, t.id, f.key, f.name, t.key, t.name, i.description FROM process_interfaces i
		JOIN processes f ON f.id = i.from_id JOIN processes t ON t.id = i.to_id
		WHERE i.from_id IN `+in+` OR i.to_id IN `+in+` ORDER BY f.id, t.id`, append(args, args...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var fid, tid int64
		var x Interface
		if err := rows.Scan(&fid, &tid, &x.FromKey, &x.FromName, &x.ToKey, &x.ToName, &x.Description); err != nil {
			return err
		}
		if p := at[fid]; p != nil {
			p.Interfaces = append(p.Interfaces, x)
		}
		if p := at[tid]; p != nil {
			p.Interfaces = append(p.Interfaces, x)
		}
	}
	return rows.Err()
}

// bumpProcess moves a process to its next version, failing when it is no
// longer at version.
func (s *Service) bumpProcess(ctx context.Context, tx *store.Tx, p Process) error {
	res, err := tx.Exec(ctx, "UPDATE processes SET owner_id = ?, description = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?",
		optIDp(p.OwnerID), p.Description, store.TS(s.now()), p.ID, p.Version)
	if err != nil {
		return store.Translate(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return domainerr.ErrStale
	}
	return nil
}

func optIDp(p *int64) any {
	if p == nil || *p == 0 {
		return nil
	}
	return *p
}

// lockProcess loads a process for a change at the version the caller saw
// (0: any).
func (s *Service) lockProcess(ctx context.Context, tx *store.Tx, key string, ifVersion int) (Process, error) {
	p, err := s.Process(ctx, tx, key)
	if err != nil {
		return p, err
	}
	if ifVersion != 0 && ifVersion != p.Version {
		return p, domainerr.ErrStale
	}
	return p, nil
}

// UpdateProcess sets a process's owner and description.
func (s *Service) UpdateProcess(ctx context.Context, actor audit.Actor, key string, in ProcessInput, ifVersion int) (Process, error) {
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		p, err := s.lockProcess(ctx, tx, key, ifVersion)
		if err != nil {
			return err
		}
		v := domainerr.NewInvalid()
		if in.OwnerID != nil {
			if *in.OwnerID == 0 {
				p.OwnerID = nil
			} else {
				if err := userRef(ctx, tx, v, "owner_id", *in.OwnerID); err != nil {
					return err
				}
				id := *in.OwnerID
				p.OwnerID = &id
			}
		}
		if in.Description != nil {
			p.Description = strings.TrimSpace(*in.Description)
			domainerr.Text(v, "description", p.Description, false, domainerr.MaxText)
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := s.bumpProcess(ctx, tx, p); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "update", "process", p.Key, map[string]any{"owner_id": optIDp(p.OwnerID), "description": p.Description})
	})
	if err != nil {
		return Process{}, err
	}
	return s.Process(ctx, s.DB, key)
}

// checkRACI validates a whole RACI: each line an activity, one person or
// group that exists, and a letter; each activity exactly one A. Errors
// name the line as raci[n].field.
func checkRACI(ctx context.Context, q store.Querier, lines []RACILine) error {
	v := domainerr.NewInvalid()
	if len(lines) > MaxRACI {
		v.Add("raci", "at most %d lines", MaxRACI)
		return v.Err()
	}
	accountable := map[string]int{}
	var order []string
	for n, l := range lines {
		f := func(name string) string { return "raci[" + itoa(n) + "]." + name }
		domainerr.Text(v, f("activity"), l.Activity, true, domainerr.MaxName)
		if !oneOf(l.Letter, RACILetters) {
			v.Add(f("letter"), "must be R, A, C or I")
		}
		switch {
		case l.UserID != 0 && l.GroupID != 0:
			v.Add(f("user_id"), "name a person or a group, not both")
		case l.UserID == 0 && l.GroupID == 0:
			v.Add(f("user_id"), "name a person or a group")
		case l.UserID != 0:
			if err := userRef(ctx, q, v, f("user_id"), l.UserID); err != nil {
				return err
			}
		default:
			if err := exists(ctx, q, v, f("group_id"), "support_groups", "group", l.GroupID); err != nil {
				return err
			}
		}
		key := strings.ToLower(l.Activity)
		if _, seen := accountable[key]; !seen {
			order = append(order, l.Activity)
			accountable[key] = 0
		}
		if l.Letter == "A" {
			accountable[key]++
			if accountable[key] > 1 {
				v.Add(f("letter"), "%q already has someone accountable (A): an activity has exactly one", l.Activity)
			}
		}
	}
	for _, a := range order {
		if strings.TrimSpace(a) != "" && accountable[strings.ToLower(a)] == 0 {
			for n, l := range lines {
				if strings.EqualFold(l.Activity, a) {
					v.Add("raci["+itoa(n)+"].letter", "%q has nobody accountable (A): an activity has exactly one", a)
					break
				}
			}
		}
	}
	return v.Err()
}

func itoa(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}

// SetRACI replaces a process's RACI with lines, in their order.
func (s *Service) SetRACI(ctx context.Context, actor audit.Actor, key string, lines []RACILine, ifVersion int) (Process, error) {
	for i := range lines {
		lines[i].Activity = strings.TrimSpace(lines[i].Activity)
		lines[i].Letter = strings.ToUpper(strings.TrimSpace(lines[i].Letter))
		lines[i].Who = ""
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		p, err := s.lockProcess(ctx, tx, key, ifVersion)
		if err != nil {
			return err
		}
		if err := checkRACI(ctx, tx, lines); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM process_raci WHERE process_id = ?", p.ID); err != nil {
			return err
		}
		for _, l := range lines {
			if _, err := tx.Exec(ctx, "INSERT INTO process_raci (process_id, activity, user_id, group_id, letter) VALUES (?, ?, ?, ?, ?)",
				p.ID, l.Activity, optID(l.UserID), optID(l.GroupID), l.Letter); err != nil {
				return store.Translate(err)
			}
		}
		if err := s.bumpProcess(ctx, tx, p); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "set_raci", "process", p.Key, map[string]any{"raci": lines})
	})
	if err != nil {
		return Process{}, err
	}
	return s.Process(ctx, s.DB, key)
}

// AddInterface records that process from hands work to process to.
func (s *Service) AddInterface(ctx context.Context, actor audit.Actor, from, to, description string, ifVersion int) (Process, error) {
	description = strings.TrimSpace(description)
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		p, err := s.lockProcess(ctx, tx, from, ifVersion)
		if err != nil {
			return err
		}
		v := domainerr.NewInvalid()
		domainerr.Text(v, "description", description, false, domainerr.MaxName)
		var toID int64
		err = store.ScanErr(tx.QueryRow(ctx, "SELECT id FROM processes WHERE key = ?", to).Scan(&toID))
		switch {
		case to == "":
			v.Add("to", "is required")
		case errors.Is(err, store.ErrNotFound):
			v.Add("to", "no process %q", to)
		case err != nil:
			return err
		case toID == p.ID:
			v.Add("to", "a process cannot hand work to itself")
		}
		if err := v.Err(); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM process_interfaces WHERE from_id = ? AND to_id = ?", p.ID, toID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return domainerr.Field("to", "this interface is already recorded")
		}
		if _, err := tx.Exec(ctx, "INSERT INTO process_interfaces (from_id, to_id, description) VALUES (?, ?, ?)", p.ID, toID, description); err != nil {
			return store.Translate(err)
		}
		if err := s.bumpProcess(ctx, tx, p); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "add_interface", "process", p.Key, map[string]any{"to": to, "description": description})
	})
	if err != nil {
		return Process{}, err
	}
	return s.Process(ctx, s.DB, from)
}

// RemoveInterface deletes the interface from -> to.
func (s *Service) RemoveInterface(ctx context.Context, actor audit.Actor, from, to string, ifVersion int) (Process, error) {
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		p, err := s.lockProcess(ctx, tx, from, ifVersion)
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, "DELETE FROM process_interfaces WHERE from_id = ? AND to_id = (SELECT id FROM processes WHERE key = ?)", p.ID, to)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		if err := s.bumpProcess(ctx, tx, p); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "remove_interface", "process", p.Key, map[string]any{"to": to})
	})
	if err != nil {
		return Process{}, err
	}
	return s.Process(ctx, s.DB, from)
}
