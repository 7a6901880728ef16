package knowledge

import (
	"math"
	"sort"
)

// Example is one labelled text a classifier learns from.
type Example struct {
	Text  string
	Label string
}

// Classifier is a multinomial naive Bayes classifier over Terms: it
// learns how often each term occurs in the texts of each label and
// guesses the label under which a new text's terms are likeliest.
type Classifier struct {
	labels []string
	prior  []float64 // log P(label)
	total  []float64 // terms counted under each label
	counts map[string][]int32
	vocab  float64
}

// smoothing is the count every term is assumed to have under every label
// (Laplace), so that an unseen pairing is unlikely rather than impossible.
const smoothing = 1.0

// Train learns from examples; labels that are empty are skipped. It
// returns nil when there is nothing to learn from.
func Train(examples []Example) *Classifier {
	index := map[string]int{}
	c := &Classifier{counts: map[string][]int32{}}
	var docs []float64
	for _, ex := range examples {
		if ex.Label == "" {
			continue
		}
		terms := Terms(ex.Text)
		if len(terms) == 0 {
			continue
		}
		li, ok := index[ex.Label]
		if !ok {
			li = len(c.labels)
			index[ex.Label] = li
			c.labels = append(c.labels, ex.Label)
			c.total = append(c.total, 0)
			docs = append(docs, 0)
		}
		docs[li]++
		for _, t := range terms {
			row := c.counts[t]
			if row == nil {
				row = make([]int32, 0, 8)
			}
			for len(row) <= li {
				row = append(row, 0)
			}
			row[li]++
			c.counts[t] = row
			c.total[li]++
		}
	}
	if len(c.labels) == 0 {
		return nil
	}
	var n float64
	for _, d := range docs {
		n += d
	}
	c.prior = make([]float64, len(c.labels))
	for i, d := range docs {
		c.prior[i] = math.Log(d / n)
	}
	c.vocab = float64(len(c.counts))
	return c
}

// Guess is a classifier's answer: the label and how sure it is (the
// probability it gives the label, 0 to 1).
type Guess struct {
	Label      string
	Confidence float64
}

// Predict ranks the labels for text, likeliest first; nil when the text
// holds no term the classifier has seen.
func (c *Classifier) Predict(text string) []Guess {
	if c == nil {
		return nil
	}
	var known []string
	for _, t := range Terms(text) {
		if _, ok := c.counts[t]; ok {
			known = append(known, t)
		}
	}
	if len(known) == 0 {
		return nil
	}
	logp := append([]float64(nil), c.prior...)
	for li := range c.labels {
		denom := math.Log(c.total[li] + smoothing*c.vocab)
		var ll float64
		for _, t := range known {
			var n float64
			if row := c.counts[t]; li < len(row) {
				n = float64(row[li])
			}
			ll += math.Log(n+smoothing) - denom
		}
		// Naive Bayes multiplies the evidence of words that are not
		// independent, and says 100 % when it is not that sure. Dividing
		// the evidence by the square root of the number of words tempers
		// the confidence people read.
		logp[li] += ll / math.Sqrt(float64(len(known)))
	}
	// The posterior, normalised in log space so long texts do not underflow.
	top := math.Inf(-1)
	for _, l := range logp {
		top = math.Max(top, l)
	}
	var sum float64
	for _, l := range logp {
		sum += math.Exp(l - top)
	}
	out := make([]Guess, len(c.labels))
	for i, l := range logp {
		out[i] = Guess{Label: c.labels[i], Confidence: math.Exp(l-top) / sum}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Confidence > out[j].Confidence })
	return out
}

// Labels are the labels learnt, in the order first seen.
func (c *Classifier) Labels() []string { return append([]string(nil), c.labels...) }
