package app

// identityArea is single sign-on and the second factor: the provider's
// settings and claim mapping, and the rule of which roles must use a
// second factor.
func (a *App) identityArea() area {
	return area{name: "single sign-on"}
}
