package web

import "net/http"

// assuranceCard is one area's figures on a service's page (availability,
// continuity, capacity, costs): a headline, lines that explain it, a
// warning when the figure calls for attention, and a link to the area's
// own page. Empty holds the words shown instead when the area has no data
// for the service.
type assuranceCard struct {
	ID     string // the card's element id, such as "assurance-availability"
	Area   string // the area's name, the card's title
	Figure string
	// Code, when set, is an identifier shown before the figure as such
	// (a capacity series' metric name, as its sender wrote it).
	Code     string
	Lines    []string
	Flag     string // such as "below target"
	Empty    string
	Href     string
	LinkText string
}

// serviceCard is an area's card for a service, nil when the viewer may
// not read the area. The assurance areas' pages add theirs to
// Web.assurance when they are registered, so a service's page names no
// area.
type serviceCard func(r *http.Request, serviceID int64) (*assuranceCard, error)

// assuranceCards are the cards of the areas present, in their order, that
// the viewer may read.
func (wb *Web) assuranceCards(r *http.Request, serviceID int64) ([]assuranceCard, error) {
	var out []assuranceCard
	for _, card := range wb.assurance {
		c, err := card(r, serviceID)
		if err != nil {
			return nil, err
		}
		if c != nil {
			out = append(out, *c)
		}
	}
	return out, nil
}
