package api

import (
	"encoding/json"
	"time"

	"steward/internal/event"
)

// fastEvents decodes a body of events written the usual way, without
// reflection: one event object or an array of them, with known fields,
// string values without escapes, labels of strings and any JSON payload.
// It answers false on anything else (an escape, a null, an unknown field,
// a fault, more than event.MaxBatch events), and the caller decodes the
// body again with encoding/json, whose messages name the fault; so this
// path only ever accepts what that one would, with the same result.
// Payloads point into raw rather than being copied.
func fastEvents(raw []byte) (ins []event.Input, batch, ok bool) {
	if fastOff {
		return nil, false, false
	}
	p := fastParser{b: raw}
	p.ws()
	if p.peek() == '{' {
		ins = make([]event.Input, 1)
		if !p.object(&ins[0]) {
			return nil, false, false
		}
		p.ws()
		return ins, false, p.i == len(p.b)
	}
	if !p.eat('[') {
		return nil, true, false
	}
	ins = make([]event.Input, 0, min(event.MaxBatch, len(raw)/64+1))
	for {
		p.ws()
		if len(ins) == event.MaxBatch {
			return nil, true, false
		}
		ins = append(ins, event.Input{})
		if !p.object(&ins[len(ins)-1]) {
			return nil, true, false
		}
		p.ws()
		if p.eat(']') {
			break
		}
		if !p.eat(',') {
			return nil, true, false
		}
	}
	p.ws()
	return ins, true, p.i == len(p.b)
}

// fastOff turns the fast decoder off, for the tests that compare it with
// encoding/json.
var fastOff = false

type fastParser struct {
	b []byte
	i int
}

func (p *fastParser) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *fastParser) eat(c byte) bool {
	if p.peek() == c {
		p.i++
		return true
	}
	return false
}

func (p *fastParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// str reads a string without escapes and returns its bytes.
func (p *fastParser) str() ([]byte, bool) {
	if !p.eat('"') {
		return nil, false
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return p.b[start : p.i-1], true
		case c == '\\' || c < 0x20:
			return nil, false
		}
		p.i++
	}
	return nil, false
}

// common are values sent over and over, kept without a new string each.
var common = func() map[string]string {
	m := map[string]string{}
	for _, s := range event.Severities {
		m[string(s)] = string(s)
	}
	for _, a := range []event.Action{event.Trigger, event.Acknowledge, event.Resolve} {
		m[string(a)] = string(a)
	}
	return m
}()

func (p *fastParser) text(dst *string, intern bool) bool {
	s, ok := p.str()
	if !ok {
		return false
	}
	if intern {
		if v, found := common[string(s)]; found {
			*dst = v
			return true
		}
	}
	*dst = string(s)
	return true
}

func (p *fastParser) object(in *event.Input) bool {
	if !p.eat('{') {
		return false
	}
	p.ws()
	if p.eat('}') {
		return true
	}
	for {
		p.ws()
		key, ok := p.str()
		if !ok {
			return false
		}
		p.ws()
		if !p.eat(':') {
			return false
		}
		p.ws()
		if !p.field(in, key) {
			return false
		}
		p.ws()
		if p.eat('}') {
			return true
		}
		if !p.eat(',') {
			return false
		}
	}
}

func (p *fastParser) field(in *event.Input, key []byte) bool {
	switch string(key) {
	case "source":
		return p.text(&in.Source, false)
	case "ci":
		return p.text(&in.CI, false)
	case "check":
		return p.text(&in.Check, false)
	case "resource":
		return p.text(&in.Resource, false)
	case "metric":
		return p.text(&in.Metric, false)
	case "severity":
		var s string
		ok := p.text(&s, true)
		in.Severity = event.Severity(s)
		return ok
	case "action":
		var s string
		ok := p.text(&s, true)
		in.Action = event.Action(s)
		return ok
	case "dedup_key":
		return p.text(&in.DedupKey, false)
	case "summary":
		return p.text(&in.Summary, false)
	case "message_id":
		return p.text(&in.MessageID, false)
	case "occurred_at":
		s, ok := p.str()
		if !ok {
			return false
		}
		var t time.Time
		if err := t.UnmarshalText(s); err != nil {
			return false
		}
		in.OccurredAt = &t
		return true
	case "labels":
		return p.labels(in)
	case "payload":
		start := p.i
		if !p.skip(0) {
			return false
		}
		v := p.b[start:p.i]
		if !json.Valid(v) || string(v) == "null" {
			return false
		}
		in.Payload = json.RawMessage(v)
		return true
	}
	return false
}

func (p *fastParser) labels(in *event.Input) bool {
	if !p.eat('{') {
		return false
	}
	in.Labels = map[string]string{}
	p.ws()
	if p.eat('}') {
		return true
	}
	for {
		p.ws()
		var k, v string
		if !p.text(&k, false) {
			return false
		}
		p.ws()
		if !p.eat(':') {
			return false
		}
		p.ws()
		if !p.text(&v, false) {
			return false
		}
		in.Labels[k] = v
		p.ws()
		if p.eat('}') {
			return true
		}
		if !p.eat(',') {
			return false
		}
	}
}

// skip passes over one JSON value of any kind; whether it is well formed
// is checked by the caller.
func (p *fastParser) skip(depth int) bool {
	if depth > 64 {
		return false
	}
	switch c := p.peek(); {
	case c == '"':
		p.i++
		for p.i < len(p.b) {
			switch p.b[p.i] {
			case '\\':
				p.i += 2
				continue
			case '"':
				p.i++
				return true
			}
			p.i++
		}
		return false
	case c == '{' || c == '[':
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		p.i++
		for {
			p.ws()
			if p.eat(end) {
				return true
			}
			if !p.skip(depth + 1) {
				return false
			}
			p.ws()
			if c == '{' {
				if !p.eat(':') {
					return false
				}
				p.ws()
				if !p.skip(depth + 1) {
					return false
				}
				p.ws()
			}
			if !p.eat(',') && p.peek() != end {
				return false
			}
		}
	case c == 0:
		return false
	default:
		start := p.i
		for p.i < len(p.b) {
			switch p.b[p.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return p.i > start
			}
			p.i++
		}
		return p.i > start
	}
}
