package api

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"steward/internal/auth"
	"steward/internal/cmdb"
	"steward/internal/domainerr"
	"steward/internal/httpx"
)

// MaxImportBody caps the body of an import; larger files go through the
// command line (steward import cis), which has no limit.
const MaxImportBody = 32 << 20

// ImportInlineLines is the most lines a body may have for the import to
// be answered in the request; a larger one runs as a job (202).
const ImportInlineLines = 5000

// registerCIImport adds the import and export of CIs.
func (a *API) registerCIImport(rt *httpx.Router) {
	rt.Handle("POST /api/v1/cis/import", auth.CIWrite, a.importCIs)
	rt.Handle("GET /api/v1/cmdb/imports/{id}", auth.CIRead, a.getImport)
	rt.Handle("GET /api/v1/cis/export", auth.CIRead, a.exportCIs)
}

func (a *API) importCIs(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "dry_run", "continue_on_error", "records", "change_ref", "async")
	dryRun, keepGoing, async := q.boolean("dry_run"), q.boolean("continue_on_error"), q.boolean("async")
	records := q.str("records", 20)
	if records != "" && records != "cis" && records != "relationships" {
		q.fields["records"] = "must be cis or relationships"
	}
	changeRef := q.str("change_ref", domainerr.MaxShort)
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	format, ok := importFormat(r.Header.Get("Content-Type"))
	if !ok {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type must be text/csv or application/json", nil)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxImportBody))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		a.fail(w, r, &tooLarge{limit: MaxImportBody})
		return
	} else if err != nil {
		a.fail(w, r, &malformed{msg: "could not read the request body"})
		return
	}
	if async == nil && bytes.Count(body, []byte{'\n'}) > ImportInlineLines || async != nil && *async {
		a.startImport(w, r, body, format, records == "relationships",
			cmdb.ImportRequest{DryRun: dryRun != nil && *dryRun, ContinueOnError: keepGoing != nil && *keepGoing, ChangeRef: changeRef})
		return
	}
	opts := cmdb.ImportOptions{DryRun: dryRun != nil && *dryRun, ContinueOnError: keepGoing != nil && *keepGoing, ChangeRef: changeRef}
	if records == "relationships" {
		opts.Relationships, opts.RelFormat = bytes.NewReader(body), format
	} else {
		opts.CIs, opts.CIFormat = bytes.NewReader(body), format
	}
	rep, err := a.CMDB.Import(r.Context(), httpx.Principal(r).Actor(), opts)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if !rep.Committed && !rep.DryRun {
		status = http.StatusUnprocessableEntity
	}
	writeJSON(w, status, rep)
}

// startImport stages the body and answers 202 with the import job, whose
// progress GET /api/v1/cmdb/imports/{id} reports.
func (a *API) startImport(w http.ResponseWriter, r *http.Request, body []byte, format cmdb.DataFormat, rels bool, req cmdb.ImportRequest) {
	if rels {
		req.Relationships, req.RelFormat = body, format
	} else {
		req.CIs, req.CIFormat = body, format
	}
	job, err := a.CMDB.StartImport(r.Context(), httpx.Principal(r).Actor(), req)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/cmdb/imports/"+strconv.FormatInt(job.ID, 10))
	writeJSON(w, http.StatusAccepted, job)
}

func (a *API) getImport(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	job, err := a.CMDB.GetImport(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, job)
}

// importFormat reads a body's format from its media type.
func importFormat(ct string) (cmdb.DataFormat, bool) {
	mt, _, err := mime.ParseMediaType(ct)
	switch {
	case err != nil:
		return "", false
	case mt == "text/csv":
		return cmdb.FormatCSV, true
	case mt == "application/json", mt == "application/x-ndjson", mt == "application/jsonl", strings.HasSuffix(mt, "+json"):
		return cmdb.FormatJSON, true
	}
	return "", false
}

func (a *API) exportCIs(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "format", "type", "status", "customer_id", "q")
	format := cmdb.DataFormat(q.str("format", 10))
	switch format {
	case "":
		format = cmdb.FormatCSV
	case cmdb.FormatCSV, cmdb.FormatJSON:
	default:
		q.fields["format"] = "must be csv or json"
	}
	f := cmdb.ExportFilter{Type: q.str("type", domainerr.MaxName), Status: cmdb.Status(q.str("status", 20)),
		CustomerID: q.int64("customer_id"), Query: q.str("q", domainerr.MaxName)}
	if f.Status != "" && !f.Status.Valid() {
		q.fields["status"] = "must be one of planned, in_use, maintenance, retired"
	}
	if err := q.err(); err != nil {
		a.fail(w, r, err)
		return
	}
	// Headers go out with the first row; a filter naming an unknown type
	// must fail before, so the export is written to a buffer until then.
	sw := &exportStart{w: w, format: format}
	if _, err := a.CMDB.Export(r.Context(), sw, f, format); err != nil {
		if sw.started {
			a.Log.Error("api: export broke off", "err", err)
			return
		}
		a.fail(w, r, queryFault(err))
	}
}

// exportStart sets the response headers before the first byte of an export.
type exportStart struct {
	w       http.ResponseWriter
	format  cmdb.DataFormat
	started bool
}

func (s *exportStart) Write(p []byte) (int, error) {
	if !s.started {
		s.started = true
		h := s.w.Header()
		if s.format == cmdb.FormatJSON {
			h.Set("Content-Type", "application/json")
			h.Set("Content-Disposition", `attachment; filename="cis.json"`)
		} else {
			h.Set("Content-Type", "text/csv; charset=utf-8")
			h.Set("Content-Disposition", `attachment; filename="cis.csv"`)
		}
		s.w.WriteHeader(http.StatusOK)
	}
	return s.w.Write(p)
}
