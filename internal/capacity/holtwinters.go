package capacity

import (
	"errors"
	"math"
)

// Holt-Winters additive exponential smoothing: a level, a trend and a
// season of m steps, each updated as the series goes, then carried
// forward. Our own implementation of the textbook method (Hyndman and
// Athanasopoulos, Forecasting: principles and practice, section 8.3); its
// accuracy on held-out data is measured in forecast_test.go and written
// in docs/capacity.md.

// errTooShort is a series too short for its season.
var errTooShort = errors.New("too few points for the season")

// hwParams are the smoothing weights of level, trend and season.
type hwParams struct{ alpha, beta, gamma float64 }

// The weights tried when fitting: enough to follow slow growth and a
// steady weekly or daily pattern without chasing noise.
var (
	alphas = []float64{0.05, 0.1, 0.2, 0.35, 0.5, 0.7}
	betas  = []float64{0.01, 0.03, 0.1, 0.2}
	gammas = []float64{0.05, 0.15, 0.3}
)

// hwState is the model after the last point.
type hwState struct {
	level, trend float64
	season       []float64 // season[(t) mod m] for the step t
	n            int       // points seen
	sse          float64   // squared one-step errors after the first season
}

// hwRun smooths y with season m and weights w.
func hwRun(y []float64, m int, w hwParams) hwState {
	// Start: the level is the first season's mean, the trend the change of
	// the mean from the first season to the second, the season each
	// point's distance from its season's mean averaged over both.
	var a, b float64
	for i := 0; i < m; i++ {
		a += y[i]
		b += y[m+i]
	}
	a, b = a/float64(m), b/float64(m)
	st := hwState{level: a, trend: (b - a) / float64(m), season: make([]float64, m)}
	for i := 0; i < m; i++ {
		// The trend's part of the point's distance from its season's mean.
		tr := st.trend * (float64(i) - float64(m-1)/2)
		st.season[i] = ((y[i] - a - tr) + (y[m+i] - b - tr)) / 2
	}
	// The level stands at the end of the first season.
	st.level = a + st.trend*float64(m-1)/2
	for t := m; t < len(y); t++ {
		s := st.season[t%m]
		pred := st.level + st.trend + s
		e := y[t] - pred
		st.sse += e * e
		prev := st.level
		st.level = w.alpha*(y[t]-s) + (1-w.alpha)*(st.level+st.trend)
		st.trend = w.beta*(st.level-prev) + (1-w.beta)*st.trend
		st.season[t%m] = w.gamma*(y[t]-st.level) + (1-w.gamma)*s
	}
	st.n = len(y)
	return st
}

// ahead is the forecast h steps (1, 2, ...) after the last point.
func (st hwState) ahead(h int) float64 {
	m := len(st.season)
	return st.level + float64(h)*st.trend + st.season[(st.n+h-1)%m]
}

// hwFit chooses the weights with the least squared one-step error.
func hwFit(y []float64, m int) (hwState, hwParams, error) {
	if m < 2 || len(y) < 2*m+1 {
		return hwState{}, hwParams{}, errTooShort
	}
	best := hwState{sse: math.Inf(1)}
	var bw hwParams
	for _, a := range alphas {
		for _, b := range betas {
			for _, g := range gammas {
				w := hwParams{a, b, g}
				if st := hwRun(y, m, w); st.sse < best.sse {
					best, bw = st, w
				}
			}
		}
	}
	return best, bw, nil
}

// holdOutMAPE fits y without its last h points, forecasts them, and
// returns the mean absolute percentage error over those of them that are
// not zero, and how many there were.
func holdOutMAPE(y []float64, m, h int) (float64, int, error) {
	if len(y)-h < 2*m+1 {
		return 0, 0, errTooShort
	}
	st, _, err := hwFit(y[:len(y)-h], m)
	if err != nil {
		return 0, 0, err
	}
	var sum float64
	n := 0
	for i := 1; i <= h; i++ {
		actual := y[len(y)-h+i-1]
		if math.Abs(actual) < 1e-9 {
			continue
		}
		sum += math.Abs((actual - st.ahead(i)) / actual)
		n++
	}
	if n == 0 {
		return 0, 0, errTooShort
	}
	return 100 * sum / float64(n), n, nil
}
