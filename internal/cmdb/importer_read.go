package cmdb

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"steward/internal/csvsafe"
)

// importRecord is one record of a CI or relationship file as written,
// before validation: the same shape for CSV and JSON.
type importRecord struct {
	line   int
	fields []importField
}

// importField is one value of a record. CI attributes are named
// "attributes.<name>" whichever way the file spelled them.
type importField struct {
	name  string
	label string // how errors name it: the CSV column or the JSON key
	value any    // CSV: a string; JSON: string, json.Number, bool, nil, object or list
}

// importReader yields the records of one file. Lines that cannot be read
// at all (bad quoting, wrong column count, invalid UTF-8, malformed JSON)
// are reported through bad and skipped; the error is for failed reads.
type importReader interface {
	next() (rec *importRecord, ok bool, err error)
}

type importBad func(line int, field, msg string)

// importText strips a UTF-8 byte order mark and refuses UTF-16, which
// spreadsheets sometimes write.
func importText(r io.Reader) (*bufio.Reader, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	head, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		br.Discard(3)
	case bytes.HasPrefix(head, []byte("\xff\xfe")), bytes.HasPrefix(head, []byte("\xfe\xff")):
		return nil, errors.New("the file is UTF-16; save it as UTF-8")
	}
	return br, nil
}

// CSV files.

var importBaseColumns = map[string]bool{"type": true, "name": true, "status": true, "owner": true,
	"group": true, "customer": true, "location": true, "redundancy": true}

var importRelColumns = []string{"source_type", "source_key", "target_type", "target_key", "type"}

type importCSV struct {
	r    *csv.Reader
	cols []importField // name and label per column
	rec  importRecord
	bad  importBad
}

// newImportCSV reads the header. For CI files every column other than
// the base ones names an attribute (attr.<name> says so explicitly); a
// relationship file has exactly its five columns.
func newImportCSV(r io.Reader, file string, bad importBad) (*importCSV, error) {
	br, err := importText(r)
	if err != nil {
		bad(1, "", err.Error())
		return nil, nil
	}
	c := &importCSV{r: csv.NewReader(br), bad: bad}
	c.r.ReuseRecord = true
	head, err := c.r.Read()
	var pe *csv.ParseError
	switch {
	case errors.Is(err, io.EOF):
		bad(1, "", "the file is empty; the first line must be the header")
		return nil, nil
	case errors.As(err, &pe):
		bad(pe.Line, "", "bad quoting in the header: "+pe.Err.Error())
		return nil, nil
	case err != nil:
		return nil, err
	}
	ok := true
	seen := map[string]bool{}
	for _, h := range head {
		label := strings.TrimSpace(csvsafe.Unescape(h))
		name := strings.ToLower(label)
		switch {
		case !utf8.ValidString(h):
			bad(1, "", "the header is not valid UTF-8; save the file as UTF-8")
			return nil, nil
		case name == "":
			bad(1, "", "a column has no name")
			ok = false
		case file == fileRels:
		case strings.HasPrefix(name, "attr."):
			name = "attributes." + strings.TrimPrefix(name, "attr.")
		case !importBaseColumns[name]:
			name = "attributes." + name
		}
		if name != "" && seen[name] {
			bad(1, label, "the column is given twice")
			ok = false
		}
		seen[name] = true
		c.cols = append(c.cols, importField{name: name, label: label})
	}
	var need []string
	if file == fileRels {
		for _, h := range c.cols {
			if !importHas(importRelColumns, h.name) {
				bad(1, h.label, "is not a column of a relationship file; the columns are "+strings.Join(importRelColumns, ", "))
				ok = false
			}
		}
		need = importRelColumns
	} else {
		need = []string{"type", "name"}
	}
	for _, n := range need {
		if !seen[n] {
			bad(1, n, "the header has no column "+n)
			ok = false
		}
	}
	if !ok {
		return nil, nil
	}
	c.rec.fields = make([]importField, len(c.cols))
	return c, nil
}

func importHas(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (c *importCSV) next() (*importRecord, bool, error) {
	for {
		rec, err := c.r.Read()
		var pe *csv.ParseError
		switch {
		case errors.Is(err, io.EOF):
			return nil, false, nil
		case errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount):
			c.bad(pe.StartLine, "", fmt.Sprintf("has %d columns, the header has %d", len(rec), len(c.cols)))
			continue
		case errors.As(err, &pe) && pe.Line != pe.StartLine:
			c.bad(pe.StartLine, "", fmt.Sprintf("bad quoting: a quoted field that starts on this line breaks on line %d, column %d: %v",
				pe.Line, pe.Column, pe.Err))
			continue
		case errors.As(err, &pe):
			c.bad(pe.Line, "", fmt.Sprintf("bad quoting at column %d: %v", pe.Column, pe.Err))
			continue
		case err != nil:
			return nil, false, err
		}
		line, _ := c.r.FieldPos(0)
		good := true
		for i, v := range rec {
			if !utf8.ValidString(v) {
				c.bad(line, c.cols[i].label, "is not valid UTF-8; save the file as UTF-8")
				good = false
				break
			}
			// Exports quote cells a spreadsheet would run as formulas.
			c.rec.fields[i] = importField{name: c.cols[i].name, label: c.cols[i].label, value: csvsafe.Unescape(v)}
		}
		if !good {
			continue
		}
		c.rec.line = line
		return &c.rec, true, nil
	}
}

// JSON files: an array of objects, a stream of objects (JSON Lines), or
// one object {"cis": [...], "relationships": [...]} holding both.

type importJSON struct {
	dec   *json.Decoder
	lines *importLines
	bad   importBad
	mode  int // importArray, importStream or importBundle
	depth int // bundle: 1 inside the object, 2 inside one of its lists
	list  string
	done  bool
	// rels gathers the relationships of a bundle for after the CIs.
	rels []importRecord
}

const (
	importArray = iota + 1
	importStream
	importBundle
)

func newImportJSON(r io.Reader, file string, bad importBad) (*importJSON, error) {
	br, err := importText(r)
	if err != nil {
		bad(1, "", err.Error())
		return nil, nil
	}
	j := &importJSON{bad: bad}
	first, err := importPeekFirst(br)
	if err != nil {
		return nil, err
	}
	switch {
	case first == nil:
		bad(1, "", "the file is empty")
		return nil, nil
	case first[0] == '[':
		j.mode = importArray
	case first[0] == '{' && file == fileCIs && importIsBundle(first):
		j.mode = importBundle
	case first[0] == '{':
		j.mode = importStream
	default:
		bad(1, "", "must be a JSON array of objects, or one JSON object per line")
		return nil, nil
	}
	j.lines = &importLines{r: br}
	j.dec = json.NewDecoder(j.lines)
	if j.mode != importStream {
		if _, err := j.dec.Token(); err != nil {
			return nil, err
		}
	}
	return j, nil
}

// importPeekFirst returns the buffered text from the first non-blank byte.
func importPeekFirst(br *bufio.Reader) ([]byte, error) {
	buf, err := br.Peek(br.Size())
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	buf = bytes.TrimLeft(buf, " \t\r\n")
	if len(buf) == 0 {
		return nil, nil
	}
	return buf, nil
}

// importIsBundle tells whether an object's first key is "cis" or
// "relationships".
func importIsBundle(b []byte) bool {
	b = bytes.TrimLeft(b[1:], " \t\r\n")
	return bytes.HasPrefix(b, []byte(`"cis"`)) || bytes.HasPrefix(b, []byte(`"relationships"`))
}

func (j *importJSON) next() (*importRecord, bool, error) {
	for !j.done {
		if j.mode == importBundle && !j.enterBundleList() {
			continue
		}
		if j.mode != importStream && !j.dec.More() {
			if _, err := j.dec.Token(); err != nil { // the closing bracket
				return j.syntax(err)
			}
			if j.mode == importArray {
				j.done = true
				return j.trailing()
			}
			j.depth--
			if j.depth == 0 {
				j.done = true
				return j.trailing()
			}
			continue
		}
		var raw json.RawMessage
		if err := j.dec.Decode(&raw); errors.Is(err, io.EOF) && j.mode == importStream {
			return nil, false, nil
		} else if err != nil {
			return j.syntax(err)
		}
		line := j.lines.lineAt(j.dec.InputOffset() - int64(len(raw)))
		rec, ok := j.record(line, raw)
		if !ok {
			continue
		}
		if j.mode == importBundle && j.list == "relationships" {
			j.rels = append(j.rels, *rec)
			continue
		}
		return rec, true, nil
	}
	return nil, false, nil
}

// enterBundleList moves into the bundle's next list; false when it has
// just left one or the object ended.
func (j *importJSON) enterBundleList() bool {
	if j.depth == 0 {
		j.depth = 1
	}
	if j.depth == 2 {
		return true
	}
	if !j.dec.More() {
		j.dec.Token()
		j.done = true
		return false
	}
	tok, err := j.dec.Token()
	key, _ := tok.(string)
	if err != nil || (key != "cis" && key != "relationships") {
		j.bad(j.lines.lineAt(j.dec.InputOffset()), key, `the object may hold only "cis" and "relationships", each a list of objects`)
		j.done = true
		return false
	}
	if tok, err := j.dec.Token(); err != nil || tok != json.Delim('[') {
		j.bad(j.lines.lineAt(j.dec.InputOffset()), key, "must be a list of objects")
		j.done = true
		return false
	}
	j.list, j.depth = key, 2
	return true
}

// syntax reports malformed JSON; nothing after it can be read.
func (j *importJSON) syntax(err error) (*importRecord, bool, error) {
	var se *json.SyntaxError
	var ute *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		j.bad(j.lines.lineAt(se.Offset), "", "malformed JSON ("+se.Error()+"); the rest of the file was not read")
	case errors.As(err, &ute), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		j.bad(j.lines.lineAt(j.lines.off-1), "", "malformed JSON: the file ends inside a value")
	default:
		return nil, false, err
	}
	j.done = true
	return nil, false, nil
}

func (j *importJSON) trailing() (*importRecord, bool, error) {
	if _, err := j.dec.Token(); !errors.Is(err, io.EOF) {
		j.bad(j.lines.lineAt(j.dec.InputOffset()), "", "unexpected data after the end of the JSON value")
	}
	return nil, false, nil
}

// record turns one JSON object into fields, flattening "attributes".
func (j *importJSON) record(line int, raw json.RawMessage) (*importRecord, bool) {
	if !utf8.Valid(raw) {
		j.bad(line, "", "is not valid UTF-8; save the file as UTF-8")
		return nil, false
	}
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil || obj == nil {
		j.bad(line, "", "each record must be a JSON object")
		return nil, false
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		if k == "" {
			j.bad(line, "", "a key is empty; the keys are those of the CSV header")
			return nil, false
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	rec := &importRecord{line: line}
	for _, k := range keys {
		attrs, isObj := obj[k].(map[string]any)
		if k != "attributes" || obj[k] == nil {
			rec.fields = append(rec.fields, importField{name: k, label: k, value: obj[k]})
			continue
		}
		if !isObj {
			j.bad(line, k, "must be an object of attribute values")
			return nil, false
		}
		names := make([]string, 0, len(attrs))
		for a := range attrs {
			names = append(names, a)
		}
		sort.Strings(names)
		for _, a := range names {
			rec.fields = append(rec.fields, importField{name: "attributes." + a, label: "attributes." + a, value: attrs[a]})
		}
	}
	return rec, true
}

// bundled serves the relationships a bundle held.
type importBundled struct {
	recs []importRecord
	i    int
}

func (b *importBundled) next() (*importRecord, bool, error) {
	if b.i >= len(b.recs) {
		return nil, false, nil
	}
	b.i++
	return &b.recs[b.i-1], true, nil
}

// importLines counts the lines of what a JSON decoder reads, so a record
// can be named by the line it starts on.
type importLines struct {
	r      io.Reader
	off    int64
	nl     []int64 // offsets of newlines not yet passed
	passed int
}

func (c *importLines) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i := 0; i < n; {
		k := bytes.IndexByte(p[i:n], '\n')
		if k < 0 {
			break
		}
		c.nl = append(c.nl, c.off+int64(i+k))
		i += k + 1
	}
	c.off += int64(n)
	return n, err
}

// lineAt is the 1-based line holding byte off; offsets asked must not go
// backwards.
func (c *importLines) lineAt(off int64) int {
	k := 0
	for k < len(c.nl) && c.nl[k] < off {
		k++
	}
	c.nl = c.nl[k:]
	c.passed += k
	return c.passed + 1
}

// importOpen picks the reader for a file's format.
func importOpen(r io.Reader, format DataFormat, file string, bad importBad) (importReader, *importJSON, error) {
	if format == FormatJSON {
		j, err := newImportJSON(r, file, bad)
		if j == nil || err != nil {
			return nil, nil, err
		}
		return j, j, nil
	}
	c, err := newImportCSV(r, file, bad)
	if c == nil || err != nil {
		return nil, nil, err
	}
	return c, nil, nil
}
