package mailin

import (
	"context"
	"errors"
	"net/mail"
	"slices"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Address is one service address and where a new message sent to it
// leads. Every address not in the map is the service desk's: the
// incident is opened with no customer or group of the address's own.
type Address struct {
	ID      int64  `json:"id"`
	Address string `json:"address"`
	// Opens is what a new message to the address opens: OpensTickets
	// (an incident or a service request) or OpensComplaints.
	Opens      string `json:"opens"`
	CustomerID *int64 `json:"customer_id"`
	GroupID    *int64 `json:"group_id"`
	ItemID     *int64 `json:"item_id"`
	// Domains are the sender domains whose new requester accounts join
	// the customer; a sender from any other domain gets an account of no
	// organisation (it sees only its own tickets).
	Domains   []string  `json:"domains"`
	CreatedAt time.Time `json:"created_at"`

	// Names, read-only.
	CustomerName string `json:"customer_name,omitempty"`
	GroupName    string `json:"group_name,omitempty"`
	ItemName     string `json:"item_name,omitempty"`
	// TargetDeleted is true when everything the address led to was
	// deleted since: mail to it goes to the service desk.
	TargetDeleted bool `json:"target_deleted"`
}

// What a mapped address opens.
const (
	OpensTickets    = "tickets"
	OpensComplaints = "complaints"
)

// Complaints reports whether a new message to the address raises a
// complaint.
func (a Address) Complaints() bool { return a.Opens == OpensComplaints }

// maxDomains bounds the sender domains of one address.
const maxDomains = 50

// customerFor is the customer a new account for the sender email joins:
// the address's customer when the sender's domain is one it lists.
func (a Address) customerFor(email string) *int64 {
	d := domainOf(email)
	if a.CustomerID == nil || d == "" {
		return nil
	}
	for _, x := range a.Domains {
		if x == d {
			return a.CustomerID
		}
	}
	return nil
}

// ParseDomains reads a list of domains as people write it: separated by
// commas, spaces or lines, with or without a leading @.
func ParseDomains(s string) []string {
	out := []string{}
	for _, f := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		if f = strings.TrimSuffix(strings.TrimPrefix(f, "@"), "."); f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// checkDomains names the first domain that is not one.
func checkDomains(ds []string, v *domainerr.Invalid) {
	if len(ds) > maxDomains {
		v.Add("domains", "list at most %d domains", maxDomains)
		return
	}
	for _, d := range ds {
		if !isDomain(d) {
			v.Add("domains", "%q is not a domain; write domains such as example.com, separated by commas", clip(d, 100))
			return
		}
	}
}

func isDomain(d string) bool {
	if len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// maxAddresses bounds the map (the page lists it whole).
const maxAddresses = 500

const addressSelect = `SELECT a.id, a.address, a.opens, a.customer_id, a.group_id, a.item_id, a.domains, a.created_at,
	COALESCE(c.name, ''), COALESCE(g.name, ''), COALESCE(i.name, '')
	FROM mail_in_addresses a LEFT JOIN customers c ON c.id = a.customer_id
	LEFT JOIN support_groups g ON g.id = a.group_id LEFT JOIN catalog_items i ON i.id = a.item_id`

func scanAddress(r interface{ Scan(...any) error }) (Address, error) {
	var a Address
	var at store.Time
	var domains string
	err := r.Scan(&a.ID, &a.Address, &a.Opens, &a.CustomerID, &a.GroupID, &a.ItemID, &domains, &at, &a.CustomerName, &a.GroupName, &a.ItemName)
	a.CreatedAt, a.Domains = at.Time, ParseDomains(domains)
	// A complaints address leads to the complaints whatever was deleted.
	a.TargetDeleted = !a.Complaints() && a.CustomerID == nil && a.GroupID == nil && a.ItemID == nil
	return a, store.ScanErr(err)
}

// Addresses lists the map by address.
func (s *Service) Addresses(ctx context.Context, p *auth.Principal) ([]Address, error) {
	if !p.Can(PermRead) {
		return nil, domainerr.ErrForbidden
	}
	return listAddresses(ctx, s.DB)
}

func listAddresses(ctx context.Context, q store.Querier) ([]Address, error) {
	rows, err := q.Query(ctx, addressSelect+" ORDER BY a.address LIMIT ?", maxAddresses)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Address{}
	for rows.Next() {
		a, err := scanAddress(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// AddAddress maps a service address, recorded in the audit trail.
func (s *Service) AddAddress(ctx context.Context, p *auth.Principal, in Address) (Address, error) {
	if !p.Can(PermAdmin) {
		return Address{}, domainerr.ErrForbidden
	}
	v := domainerr.NewInvalid()
	in.Address = strings.ToLower(strings.TrimSpace(in.Address))
	if a, err := mail.ParseAddress(in.Address); err != nil || a.Address != in.Address || len(in.Address) > 254 {
		v.Add("address", "must be one e-mail address such as network@desk.example.com")
	}
	switch in.Opens = strings.TrimSpace(in.Opens); in.Opens {
	case "":
		in.Opens = OpensTickets
	case OpensTickets, OpensComplaints:
	default:
		v.Add("opens", "must be tickets or complaints")
	}
	if in.Complaints() {
		// A complaint has a customer and an owner, not a group or an item.
		if in.GroupID != nil {
			v.Add("group_id", "a complaints address raises complaints, which are not given to a support group: leave it empty")
		}
		if in.ItemID != nil {
			v.Add("item_id", "a complaints address raises complaints, not service requests: leave it empty")
		}
	} else if in.CustomerID == nil && in.GroupID == nil && in.ItemID == nil {
		v.Add("target", "choose a customer, a support group or a catalogue item")
	}
	in.Domains = ParseDomains(strings.Join(in.Domains, ","))
	checkDomains(in.Domains, v)
	if len(in.Domains) > 0 && in.CustomerID == nil {
		v.Add("domains", "sender domains say who joins the address's customer: choose a customer, or leave them empty")
	}
	for _, ref := range []struct {
		field, table string
		id           *int64
	}{{"customer_id", "customers", in.CustomerID}, {"group_id", "support_groups", in.GroupID}, {"item_id", "catalog_items", in.ItemID}} {
		if ref.id == nil {
			continue
		}
		var one int
		err := store.ScanErr(s.DB.QueryRow(ctx, "SELECT 1 FROM "+ref.table+" WHERE id = ?", *ref.id).Scan(&one))
		if errors.Is(err, store.ErrNotFound) {
			v.Add(ref.field, "does not exist")
		} else if err != nil {
			return Address{}, err
		}
	}
	if err := v.Err(); err != nil {
		return Address{}, err
	}
	var id int64
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		err := store.ScanErr(tx.QueryRow(ctx, `INSERT INTO mail_in_addresses (address, opens, customer_id, group_id, item_id, domains, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, in.Address, in.Opens, in.CustomerID, in.GroupID, in.ItemID, strings.Join(in.Domains, ","),
			store.TS(time.Now())).Scan(&id))
		if errors.Is(err, store.ErrConflict) {
			return domainerr.Field("address", "is already mapped; remove it first to map it elsewhere")
		} else if err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "create", "mail_in_address", id, in)
	})
	if err != nil {
		return Address{}, err
	}
	return scanAddress(s.DB.QueryRow(ctx, addressSelect+" WHERE a.id = ?", id))
}

// RemoveAddress takes an address out of the map; mail to it goes to the
// service desk again.
func (s *Service) RemoveAddress(ctx context.Context, p *auth.Principal, id int64) error {
	if !p.Can(PermAdmin) {
		return domainerr.ErrForbidden
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		a, err := scanAddress(tx.QueryRow(ctx, addressSelect+" WHERE a.id = ?", id))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM mail_in_addresses WHERE id = ?", id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "delete", "mail_in_address", id, map[string]string{"address": a.Address})
	})
}

// route is the first mapped address the message was sent to: the SMTP
// envelope's recipients, then Delivered-To, then To and Cc. ok is false
// when none is mapped (the service desk's); an address whose targets
// were all deleted counts as not mapped.
func route(ctx context.Context, q store.Querier, addrs []string) (Address, bool, error) {
	seen := map[string]bool{}
	for _, a := range addrs {
		if a == "" || seen[a] {
			continue
		}
		seen[a] = true
		m, err := scanAddress(q.QueryRow(ctx, addressSelect+" WHERE a.address = ?", a))
		if err == nil && m.TargetDeleted {
			continue // it leads nowhere now: as if it were not mapped
		}
		if err == nil {
			return m, true, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return Address{}, false, err
		}
		if len(seen) >= 200 {
			break
		}
	}
	return Address{}, false, nil
}
