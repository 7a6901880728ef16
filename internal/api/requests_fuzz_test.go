package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"steward/internal/auth"
	"steward/internal/request"
	"steward/internal/store"
)

// FuzzSubmitRequest feeds arbitrary bodies to POST /api/v1/requests for an
// item with every kind of question. Any input gets a JSON answer of 201,
// 400, 413 or 422, never a 500, and a 201 keeps only answers to questions
// that are shown.
func FuzzSubmitRequest(f *testing.F) {
	for _, seed := range []string{
		`{"item_id":1,"answers":{"kind":"b","n":2,"d":"2026-02-28","u":1,"y":true,"t":"x"}}`,
		`{"item_id":1,"answers":{"kind":"a","t":"hidden"}}`,
		`{"item_id":1,"answers":{"n":"1e999","d":"2026-02-30","u":-1,"y":"maybe"}}`,
		`{"item_id":1,"answers":{"kind":["b"]}}`, `{"item_id":1,"answers":null}`, `{"item_id":2}`,
		`{"item_id":1,"answers":{"\u0000":1}}`, `{"item_id":"1"}`, `{`, ``,
	} {
		f.Add(seed)
	}
	a, e, token, uid := fuzzApp(f, auth.Admin)
	ctx := context.Background()
	now := store.TS(time.Now())
	if _, err := e.DB.Exec(ctx, `INSERT INTO services (name, status, criticality, created_at, updated_at) VALUES ('S', 'live', 'low', ?, ?)`, now, now); err != nil {
		f.Fatal(err)
	}
	form := request.Form{Fields: []request.Field{
		{Key: "kind", Label: "Kind", Type: request.ChoiceField, Required: true, Options: []string{"a", "b"}},
		{Key: "n", Label: "N", Type: request.NumberField, ShowWhen: &request.Condition{Field: "kind", Equals: "b"}},
		{Key: "d", Label: "D", Type: request.DateField},
		{Key: "u", Label: "U", Type: request.UserField},
		{Key: "y", Label: "Y", Type: request.YesNoField},
		{Key: "t", Label: "T", Type: request.TextField, Required: true, ShowWhen: &request.Condition{Field: "y", Equals: "true"}},
	}}
	svc := request.NewService(e.DB, 0)
	if _, err := svc.CreateItem(ctx, &auth.Principal{UserID: uid, Role: auth.Admin}, request.NewItem{ServiceID: 1, Name: "Fuzz", Form: &form}); err != nil {
		f.Fatal(err)
	}
	h := a.Handler()
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/api/v1/requests", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("status %d with a non-JSON body %q", rec.Code, rec.Body.String())
		}
		switch rec.Code {
		case http.StatusCreated:
			answers, _ := out["answers"].(map[string]any)
			if answers["kind"] == nil || (answers["kind"] != "b" && answers["n"] != nil) || (answers["y"] != true && answers["t"] != nil) {
				t.Fatalf("kept answers the form does not ask: %s", rec.Body.String())
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
			if out["error"] == nil {
				t.Fatalf("error without an error object: %s", rec.Body.String())
			}
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.String())
		}
	})
}
