package api

import (
	"errors"
	"strings"
	"testing"

	"steward/internal/domainerr"
)

func TestCheckJSON(t *testing.T) {
	cases := []struct {
		name  string
		body  string
		dup   string // the field a repeated key is reported on
		bad   string // the field text that is not UTF-8 is reported on
		inMsg string
	}{
		{name: "plain", body: `{"title":"Printer","tags":["a","b"],"n":1.5,"ok":true,"none":null}`},
		{name: "a key repeated", body: `{"title":"a","title":"b"}`, dup: "title", inMsg: `the key "title" appears more than once`},
		{name: "repeated deep in an object", body: `{"answers":{"size":"24","arm":true,"size":"27"}}`, dup: "answers.size"},
		{name: "repeated in an object in a list", body: `{"tasks":[{"name":"a"},{"name":"b","order":1,"name":"c"}]}`, dup: "tasks[1].name"},
		{name: "the empty key twice", body: `{"":1,"":2}`, dup: ""},
		{name: "one key in sibling objects", body: `{"tasks":[{"name":"a"},{"name":"b"}],"form":{"name":"c"}}`},
		{name: "one key at two depths", body: `{"a":{"a":{"a":1}},"b":[[{"a":1}],{"a":2}]}`},
		{name: "a key after a nested object", body: `{"a":{"b":1},"b":2,"c":[1,{"b":3}],"d":4}`},
		{name: "bad bytes in a value", body: "{\"title\":\"a\xffb\"}", bad: "title"},
		{name: "bad bytes in a list", body: "{\"form\":{\"fields\":[{\"options\":[\"ok\",\"\xc3\"]}]}}", bad: "form.fields[0].options[1]"},
		{name: "bad bytes in a key", body: "{\"answers\":{\"k\xff\":1}}", bad: "answers"},
		{name: "escaped text is fine", body: `{"title":"\u00ff\ud83d\ude00 café"}`},
		{name: "malformed JSON is left to the decoder", body: `{"title":"a","b":`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := checkJSON([]byte(c.body))
			var bad *malformed
			var inv *domainerr.Invalid
			switch {
			case c.dup != "" || c.name == "the empty key twice":
				if !errors.As(err, &bad) || bad.fields[c.dup] == "" || !strings.Contains(bad.msg, c.inMsg) {
					t.Fatalf("got %v (%+v), want a 400 on %q", err, bad, c.dup)
				}
			case c.bad != "":
				if !errors.As(err, &inv) || !strings.Contains(inv.Fields[c.bad], "UTF-8") {
					t.Fatalf("got %v, want a 422 on %q", err, c.bad)
				}
			case err != nil:
				t.Fatalf("refused: %v", err)
			}
		})
	}
}
