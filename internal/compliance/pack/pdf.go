package pack

import (
	"fmt"
	"io"
	"strings"

	"codeberg.org/go-pdf/fpdf"

	"steward/internal/compliance"
)

// statusColour is a status's fill in the PDF, as on the pages.
var statusColour = map[compliance.Status][3]int{
	compliance.Met:       {220, 243, 227},
	compliance.PartlyMet: {253, 240, 210},
	compliance.NotMet:    {251, 224, 224},
	compliance.NoData:    {236, 239, 243},
}

// WritePDF writes the readiness report as a PDF: the score, the groups,
// the gaps with what to do, and every clause with its rules' findings and
// the self-assessment beside the computed status. Its text is left
// uncompressed so that it can be searched and checked as it is.
func (r Report) WritePDF(w io.Writer) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(false)
	pdf.SetTitle("Readiness report: "+r.StdShort, true)
	pdf.SetCreator("Steward", true)
	pdf.SetMargins(15, 15, 15)
	pdf.SetAutoPageBreak(true, 15)
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont("Helvetica", "", 8)
		pdf.SetTextColor(110, 110, 110)
		pdf.CellFormat(0, 5, tr(fmt.Sprintf("%s readiness, snapshot %d, SHA-256 %s  -  page %d", r.StdShort, r.Snapshot.ID, r.Snapshot.SHA256[:16], pdf.PageNo())), "", 0, "C", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	pdf.AddPage()
	text := func(style string, size float64, h float64, s string) {
		pdf.SetFont("Helvetica", style, size)
		pdf.MultiCell(0, h, tr(s), "", "L", false)
	}
	text("B", 18, 8, "Readiness report: "+r.Standard)
	text("", 10, 5, fmt.Sprintf("Evidence evaluated %s (snapshot %d). Exported %s.", r.Snapshot.TakenAt.In(r.Loc).Format("2 Jan 2006, 15:04 MST"), r.Snapshot.ID, r.ExportedAt.In(r.Loc).Format("2 Jan 2006, 15:04 MST")))
	pdf.Ln(3)
	c := r.Eval.Counts
	text("B", 26, 12, fmt.Sprintf("Readiness %.1f %%", r.Eval.Score))
	text("", 10, 5, fmt.Sprintf("%d clauses: %d met, %d partly met, %d not met, %d without data.", r.Leaves(), c[compliance.Met], c[compliance.PartlyMet], c[compliance.NotMet], c[compliance.NoData]))
	pdf.Ln(3)

	text("B", 13, 7, "By clause group")
	pdf.SetFont("Helvetica", "B", 9)
	widths := []float64{80, 20, 20, 20, 20, 20}
	for i, h := range []string{"Clause", "Score", "Met", "Partly met", "Not met", "No data"} {
		pdf.CellFormat(widths[i], 6, h, "B", 0, "L", false, 0, "")
	}
	pdf.Ln(-1)
	pdf.SetFont("Helvetica", "", 9)
	for _, g := range r.Eval.Groups {
		cells := []string{g.Clause + " " + g.Title, fmt.Sprintf("%.1f %%", g.Score), fmt.Sprint(g.Counts[compliance.Met]), fmt.Sprint(g.Counts[compliance.PartlyMet]), fmt.Sprint(g.Counts[compliance.NotMet]), fmt.Sprint(g.Counts[compliance.NoData])}
		for i, s := range cells {
			pdf.CellFormat(widths[i], 6, tr(s), "", 0, "L", false, 0, "")
		}
		pdf.Ln(-1)
	}
	pdf.Ln(3)

	text("B", 13, 7, "Gaps")
	gaps := r.Gaps()
	if len(gaps) == 0 {
		text("", 10, 5, "Every clause is met by its evidence.")
	}
	for _, g := range gaps {
		badge(pdf, tr, g.Status)
		pdf.SetFont("Helvetica", "B", 10)
		pdf.MultiCell(0, 5, tr(g.Clause+" "+g.Title), "", "L", false)
		if todo := r.TodoOf(g); todo != "" {
			pdf.SetX(37)
			pdf.SetFont("Helvetica", "", 9)
			pdf.MultiCell(0, 4.5, tr(todo), "", "L", false)
		}
		pdf.Ln(1)
	}

	pdf.AddPage()
	text("B", 13, 7, "Clauses and evidence")
	for _, cl := range r.Eval.Clauses {
		pdf.Ln(2)
		pdf.SetX(15 + float64(cl.Depth-1)*5)
		badge(pdf, tr, cl.Status)
		pdf.SetFont("Helvetica", "B", 11-float64(min(cl.Depth, 3)-1))
		pdf.MultiCell(0, 5.5, tr(cl.Clause+" "+cl.Title), "", "L", false)
		for _, rr := range cl.Rules {
			pdf.SetX(20)
			badge(pdf, tr, rr.Status)
			pdf.SetFont("Helvetica", "B", 9)
			pdf.MultiCell(0, 5, tr(rr.Title), "", "L", false)
			pdf.SetFont("Helvetica", "", 9)
			lines := []string{rr.Summary}
			if rr.Period != nil {
				lines = append(lines, "Period: "+rr.Period.From.In(r.Loc).Format("2 Jan 2006")+" to "+rr.Period.To.In(r.Loc).Format("2 Jan 2006"))
			}
			for _, n := range rr.Numbers {
				lines = append(lines, n.Label+": "+Number(n))
			}
			if rr.Todo != "" && rr.Status != compliance.Met {
				lines = append(lines, "To do: "+rr.Todo)
			}
			for _, l := range lines {
				if strings.TrimSpace(l) == "" {
					continue
				}
				pdf.SetX(20)
				pdf.MultiCell(0, 4.5, tr(l), "", "L", false)
			}
		}
		if a := cl.SelfAssessment; a != nil {
			pdf.SetX(20)
			pdf.SetFont("Helvetica", "I", 9)
			s := "Self-assessment: " + StatusWord(a.Rating)
			if a.ByName != "" {
				s += " by " + a.ByName
			}
			if a.Comment != "" {
				s += ". " + a.Comment
			}
			if cl.Disagrees() {
				s += " (differs from the evidence)"
			}
			pdf.MultiCell(0, 4.5, tr(s), "", "L", false)
		}
	}
	pdf.Ln(4)
	text("B", 11, 6, "Integrity")
	text("", 8, 4, "Snapshot SHA-256: "+r.Snapshot.SHA256)
	text("", 8, 4, "Audit trail at the snapshot: "+r.Snapshot.ChainHead)
	if r.ChainHead != "" {
		text("", 8, 4, "Audit trail at export: "+r.ChainHead)
	}
	return pdf.Output(w)
}

// badge writes a status as a small filled label before a line.
func badge(pdf *fpdf.Fpdf, tr func(string) string, s compliance.Status) {
	c := statusColour[s]
	pdf.SetFillColor(c[0], c[1], c[2])
	pdf.SetFont("Helvetica", "B", 8)
	pdf.CellFormat(20, 5, tr(StatusWord(s)), "", 0, "C", true, 0, "")
	pdf.CellFormat(2, 5, "", "", 0, "L", false, 0, "")
}
