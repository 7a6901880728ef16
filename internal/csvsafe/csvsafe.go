// Package csvsafe owns the one rule by which Steward writes cells to the
// CSV files it exports and reads them back on import, so that text a
// person typed (a CI named =cmd|' /C calc'!A0) never runs as a formula when
// the file is opened in a spreadsheet, and importing an export gives back
// exactly what was exported.
//
// The rule. A cell is a formula risk when, after any leading single quotes,
// it starts with = + - @, a tab or a carriage return, and is not simply a
// number (-5 and +3.5 stay numbers). On export such a cell gets one more
// single quote in front, which spreadsheets show as text; on import a cell
// that starts with a single quote and is such a risk loses that one quote.
// Because a cell that already starts with quotes before a trigger gets one
// more on export and loses only that one on import, Unescape(Escape(s)) == s
// for every s.
package csvsafe

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
)

// risky reports whether s, past its leading quotes, would be read as a
// formula by a spreadsheet.
func risky(s string) bool {
	t := strings.TrimLeft(s, "'")
	if t == "" {
		return false
	}
	switch t[0] {
	case '=', '+', '-', '@', '\t', '\r':
		_, err := strconv.ParseFloat(t, 64)
		return err != nil
	}
	return false
}

// Escape is a cell as an export writes it.
func Escape(s string) string {
	if risky(s) {
		return "'" + s
	}
	return s
}

// Unescape is a cell as an import reads it: the inverse of Escape.
func Unescape(s string) string {
	if strings.HasPrefix(s, "'") && risky(s) {
		return s[1:]
	}
	return s
}

// Writer is a csv.Writer that escapes every cell it writes.
type Writer struct {
	w   *csv.Writer
	rec []string
}

// NewWriter writes CSV to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: csv.NewWriter(w)} }

// Write writes one record, each cell escaped; record is not changed.
func (w *Writer) Write(record []string) error {
	w.rec = w.rec[:0]
	for _, c := range record {
		w.rec = append(w.rec, Escape(c))
	}
	return w.w.Write(w.rec)
}

// Flush writes what is buffered to the underlying writer.
func (w *Writer) Flush() { w.w.Flush() }

// Error reports an error of an earlier Write or Flush.
func (w *Writer) Error() error { return w.w.Error() }
