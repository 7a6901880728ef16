package app

import (
	"context"

	"steward/internal/identity"
	"steward/internal/web"
)

// identityArea is single sign-on and the second factor: the provider's
// settings and claim mapping, and the rule of which roles must use a
// second factor. The provider's discovery document is read in the
// background at start, so a provider that is down does not hold the node
// back; sign-ins retry it.
func (a *App) identityArea() area {
	// Reset links go only to accounts that may sign in with a password.
	a.Mail.Policy = a.Identity
	return area{name: "single sign-on", pages: web.IdentityPages(a.Identity),
		run: []func(context.Context){a.Identity.Warm},
		nav: []web.NavEntry{
			{Menu: "Administration", Label: "Single sign-on", Href: "/admin/single-sign-on", Perm: identity.PermAdmin, Lit: []string{"single-sign-on"}},
		}}
}
