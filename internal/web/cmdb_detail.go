package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"steward/internal/auth"
	"steward/internal/change"
	"steward/internal/cmdb"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/org"
	"steward/internal/release"
	"steward/internal/store"
)

type ciView struct {
	C        cmdb.CI
	T        cmdb.CIType
	CanWrite bool
	Error    string
	F        *fieldErrors // form "relate"
	Attrs    []attrLine
	Owner    string
	Group    string
	Customer string
	Service  string

	Upstream, Downstream, Other []cmdb.RelatedCI
	MoreRelations               bool
	RelChoices                  []relChoice
	CIChoices                   []string // names for the target field, when the CMDB is small

	History   []historyLine
	OlderURL  string
	Asset     *cmdb.Asset
	Licence   *cmdb.Licence
	Incidents []cmdb.LinkedIncident
	// Deployments are the releases deployed to it, newest first, for
	// those who may read releases.
	Deployments     []release.Deployment
	MoreDeployments bool
	ReadsReleases   bool
}

// attrLine is an attribute as the detail page shows it.
type attrLine struct {
	cmdb.Attribute
	Text  string
	RefID int64 // a reference's CI, 0 otherwise
	Set   bool
}

// relChoice is a way to relate this CI to another, as the form offers it.
type relChoice struct {
	Value, Label string
}

// relChoices read from this CI: "this CI depends on …". A leading ~ means
// the other CI is the relationship's source.
var relChoices = []string{"depends_on", "runs_on", "~depends_on", "hosts", "member_of", "~member_of", "used_by", "connected_to"}

// relChoicesIn are relChoices in the reader's words.
func relChoicesIn(tx i18n.Text) []relChoice {
	out := make([]relChoice, len(relChoices))
	for i, c := range relChoices {
		words := map[string]string{"~depends_on": "needed_by", "~member_of": "has_as_member"}[c]
		if words == "" {
			words = c
		}
		out[i] = relChoice{Value: c, Label: tx.T("web.cmdb.rel_" + words)}
	}
	return out
}

// historyLine is a history entry with ids turned into names.
type historyLine struct {
	cmdb.HistoryEntry
	Actor    string // the user's name when the account still exists
	Label    string // what changed, in words
	Old, New string
	// ChangeNumber is the change record ChangeRef names, when it names one
	// that exists: the page links to it.
	ChangeNumber string
}

const ciHistoryPage = 50

func (wb *Web) ciPage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	wb.showCI(w, r, http.StatusOK, id, "", nil)
}

// showCI renders a CI with its relationships, history, asset record and
// incidents; msg is a banner and f a failed relationship form.
func (wb *Web) showCI(w http.ResponseWriter, r *http.Request, status int, id int64, msg string, f *fieldErrors) {
	ctx := r.Context()
	p := httpx.Principal(r)
	c, err := wb.CMDB.GetCI(ctx, id)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	tx := wb.clockOf(r).text()
	v := ciView{C: c, CanWrite: p.Can(auth.CIWrite), Error: msg, F: f, RelChoices: relChoicesIn(tx)}
	if v.T, err = wb.CMDB.GetType(ctx, strconv.FormatInt(c.TypeID, 10)); err != nil {
		wb.fail(w, r, err)
		return
	}
	if err := wb.ciNames(ctx, tx, &v); err != nil {
		wb.fail(w, r, err)
		return
	}
	rels, err := wb.CMDB.CIRelationships(ctx, id, cmdb.RelatedFilter{Limit: cmdb.MaxLimit})
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	v.MoreRelations = rels.NextCursor != ""
	for _, rel := range rels.Items {
		switch rel.Impact {
		case cmdb.ImpactedBy:
			v.Upstream = append(v.Upstream, rel)
		case cmdb.ImpactsOther:
			v.Downstream = append(v.Downstream, rel)
		default:
			v.Other = append(v.Other, rel)
		}
	}
	if v.CanWrite {
		pg, err := wb.CMDB.ListCIs(ctx, cmdb.CIFilter{Limit: cmdb.MaxLimit})
		if err != nil {
			wb.fail(w, r, err)
			return
		}
		if pg.NextCursor == "" {
			for _, o := range pg.Items {
				if o.ID != c.ID {
					v.CIChoices = append(v.CIChoices, o.Name)
				}
			}
		}
	}
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	hist, err := wb.CMDB.History(ctx, id, max(before, 0), ciHistoryPage+1)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	if len(hist) > ciHistoryPage {
		hist = hist[:ciHistoryPage]
		v.OlderURL = ciPath(id) + "?before=" + strconv.FormatInt(hist[len(hist)-1].Seq, 10) + "#history"
	}
	if v.History, err = wb.historyLines(ctx, tx, hist); err != nil {
		wb.fail(w, r, err)
		return
	}
	if a, err := wb.CMDB.Asset(ctx, id); err == nil {
		v.Asset = &a
	} else if !errors.Is(err, store.ErrNotFound) {
		wb.fail(w, r, err)
		return
	}
	if v.Asset != nil && v.Asset.SeatsOwned != nil || strings.EqualFold(c.Type, "Software") {
		l, err := wb.CMDB.LicenceOf(ctx, id)
		if err != nil {
			wb.fail(w, r, err)
			return
		}
		v.Licence = &l
	}
	if v.Incidents, err = wb.CMDB.CIIncidents(ctx, id, 0, 20); err != nil {
		wb.fail(w, r, err)
		return
	}
	if v.ReadsReleases = p.Can(release.PermRead); v.ReadsReleases {
		deps, err := release.CIDeployments(ctx, wb.DB, id, 10, "")
		if err != nil {
			wb.fail(w, r, err)
			return
		}
		v.Deployments, v.MoreDeployments = deps.Items, deps.NextCursor != ""
	}
	wb.render(w, r, status, "ci", page{Title: c.Name, Active: "cis", Data: v})
}

// ciNames fills in the attribute lines and the names of the CI's owner,
// group, customer and service.
func (wb *Web) ciNames(ctx context.Context, tx i18n.Text, v *ciView) error {
	var refs []int64
	for _, a := range v.T.Attributes {
		val, ok := v.C.Attributes[a.Name]
		line := attrLine{Attribute: a, Set: ok && val != nil, Text: attrValueText(a, val)}
		if a.Type == cmdb.AttrBool && line.Set {
			line.Text = map[bool]string{true: tx.T("web.cmdb_detail.yes"), false: tx.T("web.cmdb_detail.no")}[val == true]
		}
		if a.Type == cmdb.AttrReference && line.Set {
			line.RefID, _ = strconv.ParseInt(line.Text, 10, 64)
			refs = append(refs, line.RefID)
		}
		v.Attrs = append(v.Attrs, line)
	}
	// Values of attributes the type no longer defines stay visible.
	for _, k := range sortedAttrKeys(v.C.Attributes) {
		if !hasAttr(v.T, k) {
			v.Attrs = append(v.Attrs, attrLine{Attribute: cmdb.Attribute{Name: k}, Set: true, Text: attrValueText(cmdb.Attribute{}, v.C.Attributes[k])})
		}
	}
	if len(refs) > 0 {
		names, err := ciRefs(ctx, wb.DB, refs)
		if err != nil {
			return err
		}
		for i, l := range v.Attrs {
			if l.RefID != 0 {
				v.Attrs[i].Text = orID(names[l.RefID].Name, l.RefID)
			}
		}
	}
	c := v.C
	if c.OwnerID != nil {
		u, err := auth.GetUser(ctx, wb.DB, *c.OwnerID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		v.Owner = orID(u.Name, *c.OwnerID)
	}
	if c.GroupID != nil {
		groups, err := org.Groups.Names(ctx, wb.DB)
		if err != nil {
			return err
		}
		v.Group = orID(groups[*c.GroupID], *c.GroupID)
	}
	if c.CustomerID != nil {
		customers, err := org.Customers.Names(ctx, wb.DB)
		if err != nil {
			return err
		}
		v.Customer = orID(customers[*c.CustomerID], *c.CustomerID)
	}
	if c.ServiceID != nil {
		services, err := wb.catalog().Names(ctx)
		if err != nil {
			return err
		}
		v.Service = orID(services[*c.ServiceID], *c.ServiceID)
	}
	return nil
}

func sortedAttrKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// historyLines words each change, naming the users, groups, customers
// and services behind ids.
func (wb *Web) historyLines(ctx context.Context, tx i18n.Text, hist []cmdb.HistoryEntry) ([]historyLine, error) {
	var groups, customers, services map[int64]string
	users := map[int64]string{}
	name := func(field string, val *string) (string, error) {
		if val == nil {
			return "", nil
		}
		id, err := strconv.ParseInt(*val, 10, 64)
		if err != nil {
			return *val, nil
		}
		switch field {
		case "owner_id":
			if n, ok := users[id]; ok {
				return n, nil
			}
			u, err := auth.GetUser(ctx, wb.DB, id)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return "", err
			}
			users[id] = orID(u.Name, id)
			return users[id], nil
		case "group_id":
			if groups == nil {
				if groups, err = org.Groups.Names(ctx, wb.DB); err != nil {
					return "", err
				}
			}
			return orID(groups[id], id), nil
		case "customer_id":
			if customers == nil {
				if customers, err = org.Customers.Names(ctx, wb.DB); err != nil {
					return "", err
				}
			}
			return orID(customers[id], id), nil
		case "service_id":
			if services == nil {
				if services, err = wb.catalog().Names(ctx); err != nil {
					return "", err
				}
			}
			return orID(services[id], id), nil
		}
		return *val, nil
	}
	out := make([]historyLine, len(hist))
	for i, h := range hist {
		l := historyLine{HistoryEntry: h, Actor: h.ActorName}
		if h.ActorID != nil {
			id := strconv.FormatInt(*h.ActorID, 10)
			n, err := name("owner_id", &id)
			if err != nil {
				return nil, err
			}
			if !strings.HasPrefix(n, "#") {
				l.Actor = n
			}
		}
		switch h.Action {
		case cmdb.ActionCreate:
			l.Label = tx.T("web.cmdb_detail.created")
		case cmdb.ActionDelete:
			l.Label = tx.T("web.cmdb_detail.deleted")
		case cmdb.ActionRelate, cmdb.ActionUnrelate:
			l.Label = relLabelIn(tx, h.RelType, true)
		default:
			l.Label = historyField(tx, h.Field)
			var err error
			if l.Old, err = name(h.Field, h.Old); err != nil {
				return nil, err
			}
			if l.New, err = name(h.Field, h.New); err != nil {
				return nil, err
			}
			if h.Field == "status" {
				l.Old, l.New = ciStatusIn(tx, cmdb.Status(l.Old)), ciStatusIn(tx, cmdb.Status(l.New))
			}
		}
		out[i] = l
	}
	refs := make([]string, 0, len(out))
	for _, l := range out {
		if l.ChangeRef != "" {
			refs = append(refs, l.ChangeRef)
		}
	}
	numbers, err := change.ChangeRefs(ctx, wb.DB, refs)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].ChangeNumber = numbers[out[i].ChangeRef]
	}
	return out, nil
}

func historyField(tx i18n.Text, f string) string {
	switch {
	case strings.HasPrefix(f, "attributes."):
		return human(strings.TrimPrefix(f, "attributes."))
	case strings.HasPrefix(f, "asset."):
		return tx.T("web.cmdb_detail.asset_field", "Field", strings.ReplaceAll(strings.TrimPrefix(f, "asset."), "_", " "))
	case f == "owner_id":
		return tx.T("web.cmdb_detail.owner")
	case f == "group_id":
		return tx.T("web.cmdb_detail.support_group")
	case f == "customer_id":
		return tx.T("web.cmdb_detail.customer")
	case f == "service_id":
		return tx.T("web.cmdb_detail.service")
	}
	return tx.Label(f)
}

// relateCI adds a relationship from the CI's page; the other CI is named
// by id or by name.
func (wb *Web) relateCI(w http.ResponseWriter, r *http.Request) {
	c, ok := wb.loadCI(w, r)
	if !ok {
		return
	}
	ctx, tx := r.Context(), wb.clockOf(r).text()
	choice := r.PostFormValue("rel")
	in := cmdb.NewRelationship{SourceID: c.ID, Type: cmdb.RelType(strings.TrimPrefix(choice, "~")),
		ChangeRef: strings.TrimSpace(r.PostFormValue("change_ref"))}
	bad := domainerr.NewInvalid()
	if choice == "" {
		bad.Add("rel", "%s", tx.T("web.cmdb_detail.choose_rel"))
	}
	other, err := wb.findCI(ctx, r.PostFormValue("other"))
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		bad.Add("other", "%s", inv.Fields["other"])
	} else if err != nil {
		wb.fail(w, r, err)
		return
	}
	in.TargetID = other
	if strings.HasPrefix(choice, "~") {
		in.SourceID, in.TargetID = other, c.ID
	}
	err = bad.Err()
	if err == nil {
		if _, err = wb.CMDB.Relate(ctx, httpx.Principal(r).Actor(), in, nil); err == nil {
			wb.redirect(w, r, ciPath(c.ID)+"#relationships", "related")
			return
		}
	}
	var conflict *domainerr.Conflict
	switch {
	case errors.As(err, &inv):
		errs := map[string]string{}
		for k, m := range inv.Fields {
			switch k {
			case "source_id", "target_id":
				k = "other"
			case "type":
				k = "rel"
			}
			if _, dup := errs[k]; !dup {
				errs[k] = m
			}
		}
		wb.showCI(w, r, http.StatusUnprocessableEntity, c.ID, "", &fieldErrors{Form: "relate", Errs: errs, Values: r.PostForm})
	case errors.As(err, &conflict):
		wb.showCI(w, r, http.StatusConflict, c.ID, conflict.Message, nil)
	default:
		wb.fail(w, r, err)
	}
}

// findCI reads a CI named by id or by name (whole, or a part only one CI
// has); errors name the field "other".
func (wb *Web) findCI(ctx context.Context, s string) (int64, error) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "#"))
	if s == "" {
		return 0, domainerr.Field("other", "name the other CI, by name or id")
	}
	if id, err := strconv.ParseInt(s, 10, 64); err == nil && id > 0 {
		if _, err := wb.CMDB.GetCI(ctx, id); errors.Is(err, store.ErrNotFound) {
			return 0, domainerr.Field("other", "there is no CI with id %d", id)
		} else if err != nil {
			return 0, err
		}
		return id, nil
	}
	pg, err := wb.CMDB.ListCIs(ctx, cmdb.CIFilter{Query: s, Limit: 10})
	if err != nil {
		return 0, err
	}
	var matches []cmdb.CI
	for _, c := range pg.Items {
		if strings.EqualFold(c.Name, s) {
			matches = append(matches, c)
		}
	}
	if len(matches) == 0 {
		matches = pg.Items
	}
	switch {
	case len(matches) == 1:
		return matches[0].ID, nil
	case len(matches) == 0:
		return 0, domainerr.Field("other", "no CI is named like %q", s)
	}
	names := make([]string, 0, 5)
	for i, c := range matches {
		if i == 5 {
			names = append(names, "…")
			break
		}
		names = append(names, c.Name+" (#"+strconv.FormatInt(c.ID, 10)+")")
	}
	return 0, domainerr.Field("other", "several CIs match %q: %s; give the whole name or the id", s, strings.Join(names, ", "))
}

func (wb *Web) unrelateCI(w http.ResponseWriter, r *http.Request) {
	c, ok := wb.loadCI(w, r)
	if !ok {
		return
	}
	relID, ok := formID(r, "relationship_id")
	if !ok || relID == nil {
		wb.errorPage(w, r, http.StatusBadRequest, wb.clockOf(r).text().T("web.cmdb_detail.form_relationship_remove"))
		return
	}
	rel, err := wb.CMDB.GetRelationship(r.Context(), *relID)
	if err == nil && rel.SourceID != c.ID && rel.TargetID != c.ID {
		err = store.ErrNotFound
	}
	if err == nil {
		err = wb.CMDB.Unrelate(r.Context(), httpx.Principal(r).Actor(), *relID, strings.TrimSpace(r.PostFormValue("change_ref")))
	}
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	wb.redirect(w, r, ciPath(c.ID)+"#relationships", "unrelated")
}
