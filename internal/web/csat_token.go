package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/satisfaction"
)

// The one-click rating pages of a survey's e-mail. Each of the message's
// five links opens /surveys/r/{token}?rating=N: the page shows the rating
// chosen and sends it itself (csat_token.js), so one click in the mail is
// enough for a person, while a link checker that only fetches the page
// records nothing. "Send rating" does the same without scripts. The token
// is the requester's on that survey alone, so the pages are public: there
// is no session, and a form from another site cannot know the token.

func (h csatPages) registerTokens(rt *httpx.Router) {
	rt.Handle("GET /surveys/r/{token}", auth.Public, h.tokenPage)
	rt.Handle("POST /surveys/r/{token}", auth.Public, h.tokenRate)
	rt.Handle("POST /surveys/r/{token}/comment", auth.Public, h.tokenComment)
}

type csatTokenView struct {
	S     satisfaction.Survey
	Token string
	// Rating is the one the link chose, 0 for none.
	Rating int
	// AutoSend lets the page send the rating chosen by the link itself.
	AutoSend bool
	// Done: rated or commented just now, through this link.
	Done        bool
	Invalid     bool
	Commentable bool
	Comment     string // typed, shown again after an error
	Error       string
	Field       string // the field Error is about
}

// StarsOf is a rating as five stars.
func (csatTokenView) StarsOf(n int) string {
	n = min(max(n, 0), 5)
	return strings.Repeat("★", n) + strings.Repeat("☆", 5-n)
}

// tokenPage shows the survey a rating link stands for; it records nothing.
func (h csatPages) tokenPage(w http.ResponseWriter, r *http.Request) {
	v := csatTokenView{Token: r.PathValue("token"), Done: r.URL.Query().Get("done") == "1"}
	if n, err := strconv.Atoi(r.URL.Query().Get("rating")); err == nil && n >= 1 && n <= 5 {
		v.Rating = n
	}
	sv, err := h.svc.ByToken(r.Context(), v.Token)
	if err != nil && !errors.Is(err, satisfaction.ErrRatingLink) {
		h.wb.fail(w, r, err)
		return
	}
	v.S, v.Invalid = sv, err != nil
	v.AutoSend = v.Rating != 0 && sv.Open
	h.showToken(w, r, http.StatusOK, v)
}

func (h csatPages) showToken(w http.ResponseWriter, r *http.Request, status int, v csatTokenView) {
	tx := h.wb.clockOf(r).text()
	title := tx.T("csatlink.invalid_heading")
	switch {
	case v.Invalid:
		status = http.StatusNotFound
	case v.S.Open:
		title = tx.T("csatlink.rate", "Number", v.S.Number)
	default:
		title = tx.T("csat.title", "Number", v.S.Number)
		v.Commentable = v.S.Commentable(time.Now())
		if v.S.AnsweredAt == nil && status == http.StatusOK {
			status = http.StatusGone
		}
	}
	h.wb.render(w, r, status, "csat_token", page{Title: title, Data: v})
}

// tokenRate records the rating sent from the page, with the comment when
// one was typed, then shows the page again with the thanks.
func (h csatPages) tokenRate(w http.ResponseWriter, r *http.Request) {
	if !h.wb.readForm(w, r) {
		return
	}
	token := r.PathValue("token")
	rating, _ := strconv.Atoi(strings.TrimSpace(r.PostFormValue("rating")))
	comment := formText(r, "comment")
	sv, err := h.svc.RateByToken(r.Context(), token, rating, comment)
	if err == nil {
		http.Redirect(w, r, satisfaction.RatingPath(token)+"?done=1", http.StatusSeeOther)
		return
	}
	h.tokenFailed(w, r, csatTokenView{S: sv, Token: token, Rating: rating, Comment: comment}, err)
}

// tokenComment adds the comment that may follow the rating.
func (h csatPages) tokenComment(w http.ResponseWriter, r *http.Request) {
	if !h.wb.readForm(w, r) {
		return
	}
	token := r.PathValue("token")
	comment := formText(r, "comment")
	sv, err := h.svc.CommentByToken(r.Context(), token, comment)
	if err == nil {
		http.Redirect(w, r, satisfaction.RatingPath(token)+"?done=1", http.StatusSeeOther)
		return
	}
	h.tokenFailed(w, r, csatTokenView{S: sv, Token: token, Comment: comment}, err)
}

// tokenFailed shows why a rating or comment was not recorded, on the
// page itself, with what was typed.
func (h csatPages) tokenFailed(w http.ResponseWriter, r *http.Request, v csatTokenView, err error) {
	var inv *domainerr.Invalid
	status := http.StatusConflict
	switch {
	case errors.Is(err, satisfaction.ErrRatingLink):
		v.Invalid = true
	case errors.Is(err, satisfaction.ErrAlreadyRated), errors.Is(err, satisfaction.ErrCommented):
		// The page's heading says so.
	case errors.Is(err, satisfaction.ErrSurveyClosed):
		status = http.StatusGone
	case errors.As(err, &inv):
		status = http.StatusUnprocessableEntity
		for f, m := range inv.Fields {
			v.Field, v.Error = f, m
		}
	default:
		h.wb.fail(w, r, err)
		return
	}
	if v.Rating < 1 || v.Rating > 5 {
		v.Rating = 0
	}
	h.showToken(w, r, status, v)
}
