package web

import (
	"cmp"
	"net/http"
	"slices"

	"steward/internal/auth"
	"steward/internal/org"
)

// option is one entry of a select.
type option struct {
	ID   int64
	Name string
	Note string // shown after the name, e.g. a requester's organisation
	// Email is a person's address: what a person field shows for them
	// when it is typed rather than chosen (see ref-picker).
	Email string
}

// formOptions are the choices the incident forms and filters offer.
type formOptions struct {
	Groups     []option
	Customers  []option
	Agents     []option
	Requesters []option
}

// maxChoices bounds the candidates a form loads. A person field lists them
// as a select only up to pickBound and is typed past it (see people.go),
// so the bound only limits which typed field can show its person by
// e-mail rather than by id.
const maxChoices = 1000

func namedOptions(m map[int64]string) []option {
	out := make([]option, 0, len(m))
	for id, n := range m {
		out = append(out, option{ID: id, Name: n})
	}
	slices.SortFunc(out, func(a, b option) int { return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID)) })
	return out
}

// formOptions loads groups, customers and agents, and requesters when
// withRequesters is set.
func (wb *Web) formOptions(r *http.Request, withRequesters bool) (formOptions, error) {
	ctx := r.Context()
	var o formOptions
	groups, err := org.Groups.Names(ctx, wb.DB)
	if err != nil {
		return o, err
	}
	customers, err := org.Customers.Names(ctx, wb.DB)
	if err != nil {
		return o, err
	}
	o.Groups, o.Customers = namedOptions(groups), namedOptions(customers)
	for _, role := range []auth.Role{auth.Agent, auth.Admin} {
		users, err := auth.ListUsers(ctx, wb.DB, auth.UserFilter{Role: role, Limit: maxChoices})
		if err != nil {
			return o, err
		}
		for _, u := range users {
			if u.Active {
				o.Agents = append(o.Agents, option{ID: u.ID, Name: u.Name, Email: u.Email})
			}
		}
	}
	slices.SortFunc(o.Agents, func(a, b option) int { return cmp.Compare(a.Name, b.Name) })
	if withRequesters {
		users, err := auth.ListUsers(ctx, wb.DB, auth.UserFilter{Role: auth.Requester, Limit: maxChoices})
		if err != nil {
			return o, err
		}
		for _, u := range users {
			if u.Active {
				note := ""
				if u.CustomerID != nil {
					note = customers[*u.CustomerID]
				}
				o.Requesters = append(o.Requesters, option{ID: u.ID, Name: u.Name, Note: note, Email: u.Email})
			}
		}
		slices.SortFunc(o.Requesters, func(a, b option) int { return cmp.Compare(a.Name, b.Name) })
	}
	return o, nil
}
