package httpx

import (
	"mime"
	"net/http"
	"strconv"
	"strings"

	"steward/internal/record"
)

// ServeAttachment streams att to the client with the headers that keep a
// browser from running it: the stored (sniffed) type, nosniff, a sandbox,
// and a download unless it is a plain image.
func ServeAttachment(w http.ResponseWriter, r *http.Request, files *record.Attachments, att record.Attachment) {
	hd := w.Header()
	hd.Set("Content-Type", att.ContentType)
	hd.Set("Content-Length", strconv.FormatInt(att.Size, 10))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	hd.Set("Cache-Control", "private, max-age=3600")
	hd.Set("ETag", `"`+att.SHA256+`"`)
	disposition := "attachment"
	if att.Inline() {
		disposition = "inline"
	}
	hd.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": att.Filename}))
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, att.SHA256) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Method == http.MethodHead {
		return
	}
	// Headers are gone once the first byte is: a failure now can only cut
	// the body short, which the client sees against Content-Length.
	_ = files.Copy(r.Context(), w, att)
}
