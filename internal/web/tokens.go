package web

import (
	"errors"
	"net/http"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/httpx"
)

type tokensView struct {
	Tokens []auth.Token
	Secret string // shown once, right after creation
	Name   string
	F      *fieldErrors
}

func (wb *Web) tokens(w http.ResponseWriter, r *http.Request) {
	wb.showTokens(w, r, http.StatusOK, tokensView{})
}

func (wb *Web) showTokens(w http.ResponseWriter, r *http.Request, status int, v tokensView) {
	list, err := auth.ListTokens(r.Context(), wb.DB, httpx.Principal(r).UserID)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	v.Tokens = list
	wb.render(w, r, status, "tokens", page{Title: wb.clockOf(r).text().T("web.tokens.title"), Active: "tokens", Data: v})
}

// createToken answers with the page itself rather than a redirect: the
// secret exists only in this response.
func (wb *Web) createToken(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	secret, t, err := auth.CreateToken(r.Context(), wb.DB, p.Actor(), p.UserID, r.PostFormValue("name"))
	var inv *domainerr.Invalid
	switch {
	case err == nil:
		wb.showTokens(w, r, http.StatusOK, tokensView{Secret: secret, Name: t.Name})
	case errors.As(err, &inv):
		wb.showTokens(w, r, http.StatusUnprocessableEntity, tokensView{F: &fieldErrors{Form: "token", Errs: inv.Fields, Values: r.PostForm}})
	default:
		wb.fail(w, r, err)
	}
}

func (wb *Web) revokeToken(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	p := httpx.Principal(r)
	if err := auth.RevokeToken(r.Context(), wb.DB, p.Actor(), p.UserID, id); err != nil {
		wb.fail(w, r, err)
		return
	}
	wb.Tokens.Forget(id)
	wb.redirect(w, r, "/tokens", "revoked")
}
