package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/record"
	"steward/internal/store"
)

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string, fields map[string]string) {
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: msg, Fields: fields}})
}

// malformed is a request the server could not read: a 400.
type malformed struct {
	msg    string
	fields map[string]string
}

func (m *malformed) Error() string { return m.msg }

// tooLarge is a body over the limit: a 413.
type tooLarge struct{ limit int64 }

func (t *tooLarge) Error() string {
	return "request body is larger than " + strconv.FormatInt(t.limit, 10) + " bytes"
}

// fail is the one place domain errors become HTTP responses. The client gets
// a safe message; unexpected errors are logged with their cause.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, d := classify(err)
	var throttled *auth.ErrThrottled
	switch {
	case errors.As(err, &throttled):
		w.Header().Set("Retry-After", strconv.Itoa(int(throttled.RetryAfter.Seconds())+1))
	case errors.Is(err, auth.ErrSignInBusy):
		w.Header().Set("Retry-After", strconv.Itoa(int(auth.PasswordWait.Seconds())))
	case status == http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
	case status == http.StatusInternalServerError:
		a.Log.Error("api: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, status, errorBody{Error: d})
}

// classify maps an error to its status and the body the client reads.
func classify(err error) (int, errorDetail) {
	var inv *domainerr.Invalid
	var bad *malformed
	var big *tooLarge
	var mbe *http.MaxBytesError
	var tooBig *record.TooLarge
	var conflict *domainerr.Conflict
	var throttled *auth.ErrThrottled
	var refused *domainerr.Refused
	switch {
	case errors.As(err, &bad):
		return http.StatusBadRequest, errorDetail{"bad_request", bad.msg, bad.fields}
	case errors.As(err, &big):
		return http.StatusRequestEntityTooLarge, errorDetail{"too_large", big.Error(), nil}
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge, errorDetail{"too_large", tooBig.Error(), nil}
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, errorDetail{"too_large", "request body is larger than " + strconv.FormatInt(mbe.Limit, 10) + " bytes", nil}
	case errors.As(err, &inv):
		msg := inv.Message
		if msg == "" {
			msg = "some fields are not valid"
		}
		return http.StatusUnprocessableEntity, errorDetail{"validation_failed", msg, inv.Fields}
	case errors.As(err, &refused):
		return http.StatusForbidden, errorDetail{"forbidden", refused.Message, nil}
	case errors.Is(err, domainerr.ErrForbidden):
		return http.StatusForbidden, errorDetail{"forbidden", "your role does not allow this", nil}
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, errorDetail{"not_found", "no such record, or you may not see it", nil}
	case errors.Is(err, domainerr.ErrStale):
		return http.StatusPreconditionFailed, errorDetail{"precondition_failed", domainerr.ErrStale.Error(), nil}
	case errors.As(err, &conflict):
		return http.StatusConflict, errorDetail{"conflict", conflict.Message, nil}
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrReferenced):
		return http.StatusConflict, errorDetail{"conflict", "the change conflicts with existing records", nil}
	case errors.As(err, &throttled):
		return http.StatusTooManyRequests, errorDetail{"too_many_requests", throttled.Error(), nil}
	case errors.Is(err, auth.ErrSignInBusy):
		return http.StatusServiceUnavailable, errorDetail{"busy", auth.ErrSignInBusy.Error(), nil}
	case errors.Is(err, store.ErrBusy):
		return http.StatusServiceUnavailable, errorDetail{"busy", "the database is busy; retry shortly", nil}
	}
	return http.StatusInternalServerError, errorDetail{"internal", "something went wrong on our side; it has been logged", nil}
}

func asBreak(err error, br **audit.Break) bool { return errors.As(err, br) }

// queryFault turns a list's validation error into the 400 it is: every
// fault in a query string is the client's malformed request.
func queryFault(err error) error {
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		return &malformed{msg: "some query parameters are not valid", fields: inv.Fields}
	}
	return err
}
