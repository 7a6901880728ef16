package capacity

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"steward/internal/auth"
	"steward/internal/domainerr"
)

// MaxCSVRows caps the samples of one uploaded file.
const MaxCSVRows = 100000

// csvColumns are the columns a file may have; metric, at and value are
// required, with one of ci, ci_id, service or service_id.
var csvColumns = map[string]bool{"ci": true, "ci_id": true, "service": true, "service_id": true,
	"metric": true, "at": true, "value": true, "unit": true}

// IngestCSV records the samples of a CSV file whose first line names its
// columns (ci or ci_id or service or service_id, metric, at, value, and
// optionally unit). A file with any bad line is refused whole with a
// message per line ("line 5: value ...").
func (s *Service) IngestCSV(ctx context.Context, p *auth.Principal, r io.Reader) (Ingested, error) {
	if !p.Can(PermWrite) {
		return Ingested{}, domainerr.ErrForbidden
	}
	in, err := parseCSV(r)
	if err != nil {
		return Ingested{}, err
	}
	return s.ingest(ctx, in, func(i int, field string) string { return fmt.Sprintf("line %d: %s", i+2, field) })
}

func parseCSV(r io.Reader) ([]SampleIn, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, domainerr.Field("file", "is empty: the first line names the columns (ci, metric, at, value)")
	}
	if err != nil {
		return nil, domainerr.Field("file", "is not a CSV file: %v", err)
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !csvColumns[h] {
			return nil, domainerr.Field("file", "has an unknown column %q; the columns are ci or ci_id or service or service_id, metric, at, value and unit", h)
		}
		col[h] = i
	}
	for _, need := range []string{"metric", "at", "value"} {
		if _, ok := col[need]; !ok {
			return nil, domainerr.Field("file", "has no %s column", need)
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var out []SampleIn
	v := domainerr.NewInvalid()
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, domainerr.Field("file", "line %d cannot be read: %v", line, err)
		}
		if len(out) == MaxCSVRows {
			return nil, domainerr.Field("file", "holds more than %d samples; split it", MaxCSVRows)
		}
		in := SampleIn{CI: get(rec, "ci"), Service: get(rec, "service"), Metric: get(rec, "metric"), Unit: get(rec, "unit"), At: get(rec, "at")}
		for _, f := range []struct {
			name string
			dst  **int64
		}{{"ci_id", &in.CIID}, {"service_id", &in.ServiceID}} {
			if txt := get(rec, f.name); txt != "" {
				id, err := strconv.ParseInt(txt, 10, 64)
				if err != nil {
					v.Add(fmt.Sprintf("line %d: %s", line, f.name), "must be a whole number")
				}
				*f.dst = &id
			}
		}
		val := get(rec, "value")
		if _, err := strconv.ParseFloat(val, 64); err != nil {
			val = strconv.Quote(val) // refused as text, with the text shown
		}
		in.Value = []byte(val)
		out = append(out, in)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, domainerr.Field("file", "holds no samples below its first line")
	}
	return out, nil
}
