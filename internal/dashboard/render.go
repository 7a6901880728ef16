package dashboard

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"steward/internal/csvsafe"
	"steward/internal/servicereport"
)

// render produces a report's file in its format for a customer (0: all).
func (s *Service) render(ctx context.Context, d servicereport.Definition, from, to time.Time, customer int64) (servicereport.File, error) {
	rd, err := s.gather(ctx, d, from, to, customer)
	if err != nil {
		return servicereport.File{}, err
	}
	base := fileBase(d.Name, from, to, rd.CustomerName)
	var buf bytes.Buffer
	f := servicereport.File{}
	switch d.Format {
	case "pdf":
		err, f.Name, f.Type = writePDF(&buf, rd), base+".pdf", "application/pdf"
	case "csv":
		err, f.Name, f.Type = writeCSV(&buf, rd), base+".csv", "text/csv; charset=utf-8"
	default:
		err, f.Name, f.Type = reportHTML.Execute(&buf, rd), base+".html", "text/html; charset=utf-8"
	}
	f.Body = buf.Bytes()
	return f, err
}

// fileBase names a file by report, customer and period, in letters,
// digits and dashes only.
func fileBase(name string, from, to time.Time, customer string) string {
	parts := []string{slug(name)}
	if customer != "" {
		parts = append(parts, slug(customer))
	}
	parts = append(parts, from.Format("2006-01-02"), "to", to.Format("2006-01-02"))
	out := strings.Join(parts, "-")
	if parts[0] == "" {
		out = "report" + out
	}
	return out
}

// periodLabel says which span a snapshot covers in the organisation's
// calendar: "Week of 1 Jun", "Jun 2026".
func periodLabel(d Definition, p Snapshot, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	t := p.PeriodStart.In(loc)
	switch d.Period {
	case "month":
		return t.Format("Jan 2006")
	case "week":
		return "Week of " + t.Format("2 Jan")
	}
	return t.Format("2 Jan 2006")
}

// summary is a KPI's figure for the report: its last period in the span,
// with whether it met the target.
func (k reportKPI) summary() (figure, status string) {
	if k.Omitted != "" {
		return "", k.Omitted
	}
	if len(k.Points) == 0 {
		return "No data", "not computed yet"
	}
	last := k.Points[len(k.Points)-1]
	rd := Read(k.Def, &last)
	figure = rd.Figure
	switch {
	case rd.NoData:
		// No records, no figure: neither on nor off target.
		status = rd.Basis
	case k.Def.Target == nil:
		status = ""
	case k.Def.HigherIsBetter && last.Value >= *k.Def.Target, !k.Def.HigherIsBetter && last.Value <= *k.Def.Target:
		status = "On target"
	default:
		status = "Off target"
	}
	return figure, status
}

func (rd reportData) heading() string {
	h := rd.Name
	if rd.CustomerName != "" {
		h += " for " + rd.CustomerName
	}
	return h
}

func (rd reportData) span() string {
	return fmt.Sprintf("%s to %s", rd.From.Format("2 Jan 2006"), rd.To.Format("2 Jan 2006"))
}

// writePDF lays the report out on A4: heading, the KPIs with their
// figure, target and each period's figure, then the tables. Its text is
// left uncompressed so it can be searched and checked as it is.
func writePDF(w *bytes.Buffer, rd reportData) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(false)
	pdf.SetTitle(rd.heading(), true)
	pdf.SetCreator("Steward", true)
	pdf.SetMargins(15, 15, 15)
	pdf.SetAutoPageBreak(true, 15)
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont("Helvetica", "", 8)
		pdf.SetTextColor(110, 110, 110)
		pdf.CellFormat(0, 5, tr(fmt.Sprintf("%s, %s. Produced by Steward %s - page %d", rd.heading(), rd.span(),
			rd.produced(), pdf.PageNo())), "", 0, "C", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	pdf.AddPage()
	text := func(style string, size, h float64, s string) {
		pdf.SetFont("Helvetica", style, size)
		pdf.MultiCell(0, h, tr(s), "", "L", false)
	}
	text("B", 18, 8, rd.heading())
	text("", 10, 5, "Period: "+rd.span()+".")
	pdf.Ln(4)
	if len(rd.KPIs) > 0 {
		text("B", 13, 7, "Measures")
		widths := []float64{80, 30, 35, 35}
		pdf.SetFont("Helvetica", "B", 9)
		for i, h := range []string{"KPI", "Latest", "Target", "Status"} {
			pdf.CellFormat(widths[i], 6, h, "B", 0, "L", false, 0, "")
		}
		pdf.Ln(-1)
		for _, k := range rd.KPIs {
			fig, status := k.summary()
			pdf.SetFont("Helvetica", "", 9)
			for i, c := range []string{k.Def.Title, fig, k.Def.TargetText(), status} {
				pdf.CellFormat(widths[i], 6, tr(c), "", 0, "L", false, 0, "")
			}
			pdf.Ln(-1)
			if len(k.Points) > 1 {
				var per []string
				for _, p := range k.Points {
					per = append(per, periodLabel(k.Def, p, rd.Loc)+": "+Figure(p.Value, p.N, k.Def.Unit))
				}
				pdf.SetX(20)
				pdf.SetFont("Helvetica", "", 8)
				pdf.SetTextColor(90, 90, 90)
				pdf.MultiCell(0, 4, tr(strings.Join(per, "   ")), "", "L", false)
				pdf.SetTextColor(0, 0, 0)
			}
		}
		pdf.Ln(4)
		drawTrends(pdf, tr, rd)
	}
	for _, t := range rd.Tables {
		text("B", 13, 7, t.Title)
		if len(t.Rows) == 0 {
			text("", 9, 5, "None in the period.")
			pdf.Ln(3)
			continue
		}
		width := 180 / float64(len(t.Head))
		pdf.SetFont("Helvetica", "B", 9)
		for _, h := range t.Head {
			pdf.CellFormat(width, 6, tr(h), "B", 0, "L", false, 0, "")
		}
		pdf.Ln(-1)
		pdf.SetFont("Helvetica", "", 9)
		for _, r := range t.Rows {
			for _, c := range r {
				pdf.CellFormat(width, 5.5, tr(clip(c, int(width/1.9))), "", 0, "L", false, 0, "")
			}
			pdf.Ln(-1)
		}
		if t.More {
			text("I", 8, 4, fmt.Sprintf("The first %d rows.", maxTableRows))
		}
		pdf.Ln(3)
	}
	return pdf.Output(w)
}

// drawTrends draws each KPI's trend as a chart, two to a row, under the
// heading "Trends"; a row that does not fit goes to the next page.
func drawTrends(pdf *fpdf.Fpdf, tr func(string) string, rd reportData) {
	var charted []reportKPI
	for _, k := range rd.KPIs {
		if k.Omitted == "" {
			charted = append(charted, k)
		}
	}
	if len(charted) == 0 {
		return
	}
	const w, h, gap = 87.0, 50.0, 6.0
	_, pageH := pdf.GetPageSize()
	_, _, _, bottom := pdf.GetMargins()
	if pdf.GetY()+7+h > pageH-bottom-5 {
		pdf.AddPage()
	}
	pdf.SetFont("Helvetica", "B", 13)
	pdf.MultiCell(0, 7, "Trends", "", "L", false)
	pdf.SetFont("Helvetica", "", 8)
	pdf.SetTextColor(90, 90, 90)
	pdf.MultiCell(0, 4, tr("Each KPI per period; the dashed line is its target."), "", "L", false)
	pdf.SetTextColor(0, 0, 0)
	pdf.Ln(2)
	left, _, _, _ := pdf.GetMargins()
	for i := 0; i < len(charted); i += 2 {
		y := pdf.GetY()
		if y+h > pageH-bottom-5 {
			pdf.AddPage()
			y = pdf.GetY()
		}
		for j := i; j < i+2 && j < len(charted); j++ {
			drawTrend(pdf, tr, charted[j], chartBox{x: left + float64(j-i)*(w+gap), y: y, w: w, h: h}, rd.Loc)
		}
		pdf.SetXY(left, y+h+gap)
	}
	pdf.Ln(2)
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n || n < 2 {
		return s
	}
	return string(r[:n-1]) + "…"
}

// writeCSV writes one row per KPI and period, then each table's rows
// under its title.
func writeCSV(w *bytes.Buffer, rd reportData) error {
	cw := csvsafe.NewWriter(w)
	_ = cw.Write([]string{"report", "period_from", "period_to", "customer"})
	_ = cw.Write([]string{rd.Name, rd.From.Format("2006-01-02"), rd.To.Format("2006-01-02"), rd.CustomerName})
	_ = cw.Write(nil)
	_ = cw.Write([]string{"kpi", "title", "period_start", "value", "n", "unit", "target", "version"})
	for _, k := range rd.KPIs {
		target := ""
		if k.Def.Target != nil {
			target = fmt.Sprint(*k.Def.Target)
		}
		for _, p := range k.Points {
			val := ""
			if !p.NoData() {
				val = fmt.Sprint(p.Value)
			}
			_ = cw.Write([]string{k.Def.Key, k.Def.Title, p.PeriodStart.In(rd.location()).Format("2006-01-02"), val, fmt.Sprint(p.N), k.Def.Unit, target, fmt.Sprint(p.Version)})
		}
	}
	for _, t := range rd.Tables {
		_ = cw.Write(nil)
		_ = cw.Write([]string{t.Title})
		_ = cw.Write(t.Head)
		for _, r := range t.Rows {
			_ = cw.Write(r)
		}
	}
	cw.Flush()
	return cw.Error()
}

var reportHTML = template.Must(template.New("report").Funcs(template.FuncMap{
	"figure": Figure,
	"period": func(d Definition, p Snapshot, rd reportData) string { return periodLabel(d, p, rd.Loc) },
	"summary": func(k reportKPI) []string {
		f, s := k.summary()
		return []string{f, s}
	},
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Heading}}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2430}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #dde2ea}
.muted{color:#5b6575}.off{color:#a12a2a}.on{color:#1c6b3a}</style></head>
<body><h1>{{.Heading}}</h1><p class="muted">Period: {{.Span}}. Produced by Steward on {{.Produced}}.</p>
{{with .KPIs}}<h2>Measures</h2><table><thead><tr><th>KPI</th><th>Latest</th><th>Target</th><th>Status</th><th>Per period</th></tr></thead><tbody>
{{range .}}{{$s := summary .}}<tr><td>{{.Def.Title}}</td><td>{{index $s 0}}</td><td>{{.Def.TargetText}}</td>
<td class="{{if eq (index $s 1) "Off target"}}off{{else if eq (index $s 1) "On target"}}on{{end}}">{{index $s 1}}</td>
<td class="muted">{{$d := .Def}}{{range .Points}}{{period $d . $}}: {{figure .Value .N $d.Unit}}<br>{{end}}</td></tr>{{end}}
</tbody></table>{{end}}
{{range .Tables}}<h2>{{.Title}}</h2>{{if .Rows}}<table><thead><tr>{{range .Head}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</tbody></table>{{else}}<p class="muted">None in the period.</p>{{end}}{{end}}
</body></html>
`))

func (rd reportData) location() *time.Location {
	if rd.Loc == nil {
		return time.UTC
	}
	return rd.Loc
}

// produced is when the report was made, in the organisation's zone with
// the zone named.
func (rd reportData) produced() string {
	t := rd.ProducedAt.In(rd.location())
	return t.Format("2 Jan 2006 15:04 MST")
}

// Heading, Span and Produced for the HTML template.
func (rd reportData) Produced() string { return rd.produced() }
func (rd reportData) Heading() string  { return rd.heading() }
func (rd reportData) Span() string     { return rd.span() }
