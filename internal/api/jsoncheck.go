package api

import (
	"bytes"
	"cmp"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"steward/internal/domainerr"
)

// checkJSON walks a body's tokens once, before it is decoded, for what
// the decoder would let pass silently: an object that repeats a key at
// any depth (the decoder keeps the last one, so a proxy or a log could
// read another value than the server acts on) is a 400 naming the key,
// and text that is not valid UTF-8 (the decoder replaces the bad bytes)
// is a 422 naming the field. A body that is not well-formed JSON passes:
// decoding it reports where it breaks.
func checkJSON(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var stack []*jsonFrame
	badText := domainerr.NewInvalid()
	prev := int64(0)
	for {
		tok, err := dec.Token()
		if err != nil {
			break // the end, or a syntax error decoding reports
		}
		end := dec.InputOffset()
		// Between two tokens lie only ASCII separators, so the span is
		// valid UTF-8 exactly when the token is.
		valid := utf8.Valid(raw[prev:end])
		prev = end
		var top *jsonFrame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.wantKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				top.done(stack)
				continue
			}
			key, _ := tok.(string)
			if !valid {
				badText.Add(cmp.Or(top.path, "body"), "has a key that is not valid UTF-8 text")
			}
			if top.keys[key] {
				return &malformed{msg: "the key " + strconv.Quote(key) + " appears more than once in one object",
					fields: map[string]string{joinPath(top.path, key): "appears more than once; send each key once"}}
			}
			top.keys[key] = true
			top.key, top.wantKey = key, false
			continue
		}
		path := ""
		if top != nil {
			path = top.child()
		}
		switch d, _ := tok.(json.Delim); d {
		case '{':
			stack = append(stack, &jsonFrame{object: true, wantKey: true, path: path, keys: map[string]bool{}})
			continue
		case '[':
			stack = append(stack, &jsonFrame{path: path})
			continue
		case ']':
			stack = stack[:len(stack)-1]
			top.done(stack)
			continue
		}
		if !valid {
			badText.Add(cmp.Or(path, "body"), "is not valid UTF-8 text")
		}
		if top != nil {
			top.next()
		}
	}
	if len(badText.Fields) > 0 {
		badText.Message = "text must be valid UTF-8"
		return badText
	}
	return nil
}

// jsonFrame is an object or a list being walked.
type jsonFrame struct {
	object  bool
	path    string
	keys    map[string]bool
	wantKey bool   // an object's next token is a key (or its end)
	key     string // the key whose value comes next
	index   int
}

// child is the path of the value that comes next in f.
func (f *jsonFrame) child() string {
	if f.object {
		return joinPath(f.path, f.key)
	}
	return f.path + "[" + strconv.Itoa(f.index) + "]"
}

// next moves f past one value.
func (f *jsonFrame) next() {
	if f.object {
		f.wantKey = true
	} else {
		f.index++
	}
}

// done closes f; its parent, if any, moves past it.
func (f *jsonFrame) done(stack []*jsonFrame) {
	if len(stack) > 0 {
		stack[len(stack)-1].next()
	}
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}
