package web

import (
	"io"
	"net/http"
	"strconv"

	"steward/internal/auth"
	"steward/internal/cmdb"
	"steward/internal/httpx"
)

// maxImportFile caps an uploaded import file, as the API caps its body;
// larger files go through the command line.
const maxImportFile = 32 << 20

func (wb *Web) registerCMDBImports(rt *httpx.Router) {
	rt.Handle("GET /cmdb/imports", auth.CIRead, wb.listImports)
	wb.uploadUpTo(rt, "POST /cmdb/imports", auth.CIWrite, maxImportFile, wb.startImport)
	rt.Handle("GET /cmdb/imports/{id}", auth.CIRead, wb.importPage)
}

type importsView struct {
	Items []cmdb.ImportJob
	Error string
}

func (wb *Web) listImports(w http.ResponseWriter, r *http.Request) {
	wb.renderImports(w, r, http.StatusOK, "")
}

func (wb *Web) renderImports(w http.ResponseWriter, r *http.Request, status int, msg string) {
	list, err := wb.CMDB.ListImports(r.Context(), 20)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	v := importsView{Items: list, Error: msg}
	refresh := 0
	for _, j := range list {
		if !j.Finished() {
			refresh = 3
		}
	}
	wb.render(w, r, status, "ci_imports", page{Title: "CI imports", Active: "imports", Data: v, Refresh: refresh})
}

// startImport stages the uploaded file as an import job and shows its
// page, which follows its progress.
func (wb *Web) startImport(w http.ResponseWriter, r *http.Request) {
	file, hdr, err := r.FormFile("file")
	if err != nil {
		wb.renderImports(w, r, http.StatusUnprocessableEntity, wb.clockOf(r).text().T("web.cmdb_imports.choose_file"))
		return
	}
	defer file.Close()
	format, ok := cmdb.FormatOf(hdr.Filename)
	if !ok {
		wb.renderImports(w, r, http.StatusUnprocessableEntity, wb.clockOf(r).text().T("web.cmdb_imports.file_name"))
		return
	}
	body, err := io.ReadAll(file)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	req := cmdb.ImportRequest{DryRun: r.PostFormValue("dry_run") != "", ContinueOnError: r.PostFormValue("continue_on_error") != "",
		ChangeRef: r.PostFormValue("change_ref")}
	if r.PostFormValue("records") == "relationships" {
		req.Relationships, req.RelFormat = body, format
	} else {
		req.CIs, req.CIFormat = body, format
	}
	job, err := wb.CMDB.StartImport(r.Context(), httpx.Principal(r).Actor(), req)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/cmdb/imports/"+strconv.FormatInt(job.ID, 10), http.StatusSeeOther)
}

func (wb *Web) importPage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	job, err := wb.CMDB.GetImport(r.Context(), id)
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	refresh := 0
	if !job.Finished() {
		refresh = 2
	}
	wb.render(w, r, http.StatusOK, "ci_import", page{Title: wb.clockOf(r).text().T("web.cmdb_imports.title", "ID", id), Active: "imports", Data: job, Refresh: refresh})
}
