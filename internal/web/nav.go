package web

import "steward/internal/auth"

// NavEntry is one link of the top bar, declared by the area it leads to.
type NavEntry struct {
	// Menu is the drop-down the link sits in; empty puts it on the bar.
	// A menu takes the place of the first link that names it.
	Menu  string
	Label string
	Href  string
	// Perm is who sees the link; a menu whose links nobody may see is hidden.
	Perm auth.Permission
	// Lit lists the pages (page.Active) on which this link is the current one.
	Lit []string
}

// navBar is the top bar as one person sees it on one page.
type navBar struct {
	Links []navLink
	Menus []navMenu
	order []navSlot // links and menus in the order declared
}

// navSlot is one place on the bar: links[i], or menus[i] when menu.
type navSlot struct {
	menu bool
	i    int
}

// navItem is a link or a menu, for the layout to draw in order.
type navItem struct {
	Link *navLink
	Menu *navMenu
}

// Items is the bar in the order its entries were declared: each link in
// its place, each menu where its first link was named.
func (b navBar) Items() []navItem {
	out := make([]navItem, 0, len(b.order))
	for _, s := range b.order {
		if s.menu {
			out = append(out, navItem{Menu: &b.Menus[s.i]})
		} else {
			out = append(out, navItem{Link: &b.Links[s.i]})
		}
	}
	return out
}

type navLink struct {
	Label, Href string
	Current     bool
}

type navMenu struct {
	Label   string
	Current bool
	Links   []navLink
}

// platformNav is the platform's own links, after the areas'.
var platformNav = []NavEntry{
	{Menu: "Organisation", Label: "Audit trail", Href: "/audit", Perm: auth.AuditRead, Lit: []string{"audit"}},
	{Menu: "Organisation", Label: "Priority matrix", Href: "/settings/priority-matrix", Perm: auth.SettingsRead, Lit: []string{"matrix"}},
	{Menu: "Organisation", Label: "Failed jobs", Href: "/admin/jobs", Perm: auth.JobAdmin, Lit: []string{"jobs"}},
}

// navFor lays out entries for p on the page whose nav key is active.
func navFor(entries []NavEntry, p *auth.Principal, active string) navBar {
	var bar navBar
	menus := map[string]int{}
	for _, e := range entries {
		if !p.Can(e.Perm) {
			continue
		}
		l := navLink{Label: e.Label, Href: e.Href}
		for _, k := range e.Lit {
			l.Current = l.Current || k == active
		}
		if e.Menu == "" {
			bar.order = append(bar.order, navSlot{i: len(bar.Links)})
			bar.Links = append(bar.Links, l)
			continue
		}
		i, ok := menus[e.Menu]
		if !ok {
			i = len(bar.Menus)
			menus[e.Menu] = i
			bar.order = append(bar.order, navSlot{menu: true, i: i})
			bar.Menus = append(bar.Menus, navMenu{Label: e.Menu})
		}
		bar.Menus[i].Links = append(bar.Menus[i].Links, l)
		bar.Menus[i].Current = bar.Menus[i].Current || l.Current
	}
	return bar
}

// Rows reports whether the bar holds more than fits beside the brand, the
// search and the person on a laptop's screen; the links then take a row
// of their own below them, the full width of the page.
func (b navBar) Rows() bool { return len(b.Links)+len(b.Menus) > 8 }
