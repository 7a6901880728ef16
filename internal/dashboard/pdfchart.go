package dashboard

import (
	"math"
	"strconv"
	"time"

	"codeberg.org/go-pdf/fpdf"
)

// The colours of a trend chart in a report, as 0-255 RGB.
var (
	chartLine   = [3]int{31, 106, 198} // the KPI's figures
	chartTarget = [3]int{196, 84, 20}  // its target, dashed
	chartGrid   = [3]int{214, 219, 227}
	chartInk    = [3]int{91, 101, 117}
)

// chartBox is where a chart is drawn on the page, in millimetres.
type chartBox struct{ x, y, w, h float64 }

// drawTrend draws a KPI's figures per period as a line chart in box:
// a frame with the scale's lowest and highest figures, the target as a
// dashed line, one dot per period with data and a line joining
// consecutive ones (a period without data leaves a gap), and the first
// and last periods' labels under it.
func drawTrend(pdf *fpdf.Fpdf, tr func(string) string, k reportKPI, box chartBox, loc *time.Location) {
	pts := k.Trend
	pdf.SetFont("Helvetica", "B", 9)
	pdf.SetTextColor(0, 0, 0)
	pdf.SetXY(box.x, box.y)
	pdf.CellFormat(box.w, 5, tr(clip(k.Def.Title, int(box.w/1.8))), "", 0, "L", false, 0, "")
	plot := chartBox{x: box.x + 12, y: box.y + 7, w: box.w - 14, h: box.h - 14}

	lo, hi := scale(k)
	y := func(v float64) float64 { return plot.y + plot.h - (v-lo)/(hi-lo)*plot.h }
	x := func(i int) float64 {
		if len(pts) < 2 {
			return plot.x + plot.w/2
		}
		return plot.x + float64(i)*plot.w/float64(len(pts)-1)
	}

	pdf.SetLineWidth(0.2)
	pdf.SetDrawColor(chartGrid[0], chartGrid[1], chartGrid[2])
	pdf.Rect(plot.x, plot.y, plot.w, plot.h, "D")
	pdf.Line(plot.x, y((lo+hi)/2), plot.x+plot.w, y((lo+hi)/2))
	pdf.SetFont("Helvetica", "", 7)
	pdf.SetTextColor(chartInk[0], chartInk[1], chartInk[2])
	for _, v := range []float64{lo, (lo + hi) / 2, hi} {
		pdf.SetXY(box.x, y(v)-2)
		pdf.CellFormat(11, 4, tr(axisFigure(v, k.Def.Unit)), "", 0, "R", false, 0, "")
	}
	if len(pts) > 0 {
		pdf.SetXY(plot.x, plot.y+plot.h+0.5)
		pdf.CellFormat(plot.w/2, 4, tr(periodLabel(k.Def, pts[0], loc)), "", 0, "L", false, 0, "")
		pdf.SetXY(plot.x+plot.w/2, plot.y+plot.h+0.5)
		pdf.CellFormat(plot.w/2, 4, tr(periodLabel(k.Def, pts[len(pts)-1], loc)), "", 0, "R", false, 0, "")
	}

	if t := k.Def.Target; t != nil {
		pdf.SetDrawColor(chartTarget[0], chartTarget[1], chartTarget[2])
		pdf.SetLineWidth(0.3)
		pdf.SetDashPattern([]float64{1.2, 0.9}, 0)
		pdf.Line(plot.x, y(*t), plot.x+plot.w, y(*t))
		pdf.SetDashPattern([]float64{}, 0)
	}

	pdf.SetDrawColor(chartLine[0], chartLine[1], chartLine[2])
	pdf.SetFillColor(chartLine[0], chartLine[1], chartLine[2])
	pdf.SetLineWidth(0.5)
	pdf.SetLineJoinStyle("round")
	open := false
	for i, p := range pts {
		if p.NoData() {
			if open {
				pdf.DrawPath("D")
			}
			open = false
			continue
		}
		if open {
			pdf.LineTo(x(i), y(p.Value))
		} else {
			pdf.MoveTo(x(i), y(p.Value))
			open = true
		}
	}
	if open {
		pdf.DrawPath("D")
	}
	for i, p := range pts {
		if !p.NoData() {
			pdf.Circle(x(i), y(p.Value), 0.6, "F")
		}
	}
	if len(pts) == 0 || allEmpty(pts) {
		pdf.SetFont("Helvetica", "I", 8)
		pdf.SetXY(plot.x, plot.y+plot.h/2-2)
		pdf.CellFormat(plot.w, 4, "No data in these periods", "", 0, "C", false, 0, "")
	}
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetTextColor(0, 0, 0)
	pdf.SetLineWidth(0.2)
}

// scale is the range a KPI's chart shows: its figures and target, from
// 0 for counts, hours and days, and 0-100 for percentages unless the
// figures sit higher.
func scale(k reportKPI) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, p := range k.Trend {
		if !p.NoData() {
			lo, hi = math.Min(lo, p.Value), math.Max(hi, p.Value)
		}
	}
	if t := k.Def.Target; t != nil {
		lo, hi = math.Min(lo, *t), math.Max(hi, *t)
	}
	if math.IsInf(lo, 1) {
		lo, hi = 0, 1
	}
	if lo > 0 {
		lo = 0
	}
	if k.Def.Unit == "%" {
		hi = math.Max(hi, 100)
	} else if k.Def.Unit == "of 5" {
		hi = math.Max(hi, 5)
	}
	if hi <= lo {
		hi = lo + 1
	}
	return lo, niceCeil(hi)
}

// niceCeil rounds v up to 1, 2, 2.5 or 5 times a power of ten, so that
// the scale reads 0, 25, 50 rather than 0, 24.3, 48.6.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return v
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v-1e-9 {
			return m * p
		}
	}
	return 10 * p
}

func allEmpty(pts []Snapshot) bool {
	for _, p := range pts {
		if !p.NoData() {
			return false
		}
	}
	return true
}

// axisFigure is a scale's figure, short: "100 %", "12.5", "3".
func axisFigure(v float64, unit string) string {
	s := strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
	if unit == "%" {
		return s + " %"
	}
	return s
}
