package knowledge

import (
	"math"
	"sort"
	"strings"
	"sync"
	"unicode"

	"steward/internal/record"
)

// Index ranks articles and known errors by Okapi BM25 over their title
// (weighted) and body, in memory. Suggestions answer from it while a
// person types; it is built when first asked and kept up to date by each
// write, and by a periodic look for what other nodes changed.
//
// Documents live in slots; a term's postings list the slots it occurs
// in, so that ranking adds scores into an array rather than a map.
type Index struct {
	mu       sync.RWMutex
	docs     []*Entry // by slot; nil for a free slot
	free     []int32
	slotOf   map[docKey]int32
	post     map[string][]posting
	sumTitle int
	sumBody  int
	n        int
	vocab    []string // the terms, sorted, for prefixes; nil when stale
	scratch  sync.Pool
}

// Entry is one document of the index with what the filters need.
type Entry struct {
	Kind      string // KindName or KnownErrorKind
	ID        int64
	Number    string
	Title     string
	State     State
	Audience  Audience
	Customers []int64

	terms    []string
	titleLen int
	bodyLen  int
}

// KnownErrorKind names a known error among suggestions.
const KnownErrorKind = "known_error"

type docKey struct {
	kind string
	id   int64
}

// posting is how often a term occurs in the title and body of a slot's document.
type posting struct {
	slot        int32
	title, body int32
}

// BM25's constants, and the title's weight over the body's.
const (
	bm25K1      = 1.2
	bm25B       = 0.75
	titleWeight = 3.0
)

// NewIndex makes an empty index.
func NewIndex() *Index {
	return &Index{slotOf: map[docKey]int32{}, post: map[string][]posting{}}
}

// Put adds or replaces a document.
func (ix *Index) Put(e Entry, title, body string) {
	tt, bt := Terms(title), Terms(body)
	counts := map[string]posting{}
	for _, t := range tt {
		c := counts[t]
		c.title++
		counts[t] = c
	}
	for _, t := range bt {
		c := counts[t]
		c.body++
		counts[t] = c
	}
	e.titleLen, e.bodyLen = len(tt), len(bt)
	e.terms = make([]string, 0, len(counts))
	for t := range counts {
		e.terms = append(e.terms, t)
	}
	key := docKey{e.Kind, e.ID}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.remove(key)
	var slot int32
	if n := len(ix.free); n > 0 {
		slot, ix.free = ix.free[n-1], ix.free[:n-1]
		ix.docs[slot] = &e
	} else {
		slot = int32(len(ix.docs))
		ix.docs = append(ix.docs, &e)
	}
	ix.slotOf[key] = slot
	for t, c := range counts {
		if _, ok := ix.post[t]; !ok {
			ix.vocab = nil
		}
		c.slot = slot
		ix.post[t] = append(ix.post[t], c)
	}
	ix.sumTitle += e.titleLen
	ix.sumBody += e.bodyLen
	ix.n++
}

// Remove takes a document out.
func (ix *Index) Remove(kind string, id int64) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.remove(docKey{kind, id})
}

func (ix *Index) remove(key docKey) {
	slot, ok := ix.slotOf[key]
	if !ok {
		return
	}
	old := ix.docs[slot]
	for _, t := range old.terms {
		list := ix.post[t]
		for i := range list {
			if list[i].slot == slot {
				list[i] = list[len(list)-1]
				list = list[:len(list)-1]
				break
			}
		}
		if len(list) == 0 {
			delete(ix.post, t)
			ix.vocab = nil
		} else {
			ix.post[t] = list
		}
	}
	ix.sumTitle -= old.titleLen
	ix.sumBody -= old.bodyLen
	ix.n--
	ix.docs[slot] = nil
	ix.free = append(ix.free, slot)
	delete(ix.slotOf, key)
}

// Len is the number of documents.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.n
}

// Hit is a ranked document.
type Hit struct {
	*Entry
	Score float64
}

// maxPrefixTerms bounds the terms a word being typed expands to.
const maxPrefixTerms = 20

// scratch is one ranking's working space: a score and a filter verdict
// per slot, and the slots touched, to clear them afterwards.
type scratch struct {
	score   []float64
	verdict []int8 // 0 not asked, 1 kept, -1 left out
	touched []int32
}

// Rank scores the documents keep accepts against query and returns the
// best limit, best first. The last word, when the query does not end in
// a space, also matches as the start of longer words: "vpn tok" finds
// "token" while it is being typed.
func (ix *Index) Rank(query string, keep func(*Entry) bool, limit int) []Hit {
	terms := queryTerms(query)
	if len(terms) == 0 || limit <= 0 {
		return nil
	}
	if partial := typing(query); partial != "" {
		ix.mu.Lock() // the vocabulary may need sorting
		terms = append(terms, ix.prefixed(partial, terms)...)
		ix.mu.Unlock()
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.n == 0 {
		return nil
	}
	n := float64(ix.n)
	avgTitle := math.Max(float64(ix.sumTitle)/n, 1)
	avgBody := math.Max(float64(ix.sumBody)/n, 1)
	sc, _ := ix.scratch.Get().(*scratch)
	if sc == nil {
		sc = &scratch{}
	}
	if len(sc.score) < len(ix.docs) {
		sc.score = make([]float64, len(ix.docs)+len(ix.docs)/4)
		sc.verdict = make([]int8, len(sc.score))
	}
	sc.touched = sc.touched[:0]
	for _, qt := range terms {
		list := ix.post[qt.term]
		if len(list) == 0 {
			continue
		}
		df := float64(len(list))
		idf := math.Log(1+(n-df+0.5)/(df+0.5)) * qt.weight
		for _, p := range list {
			v := sc.verdict[p.slot]
			if v == 0 {
				v = -1
				if keep == nil || keep(ix.docs[p.slot]) {
					v = 1
				}
				sc.verdict[p.slot] = v
				sc.touched = append(sc.touched, p.slot)
			}
			if v < 0 {
				continue
			}
			e := ix.docs[p.slot]
			tf := titleWeight*float64(p.title)/(1-bm25B+bm25B*float64(e.titleLen)/avgTitle) +
				float64(p.body)/(1-bm25B+bm25B*float64(e.bodyLen)/avgBody)
			sc.score[p.slot] += idf * tf * (bm25K1 + 1) / (tf + bm25K1)
		}
	}
	hits := topHits(ix.docs, sc, limit)
	for _, slot := range sc.touched {
		sc.score[slot], sc.verdict[slot] = 0, 0
	}
	ix.scratch.Put(sc)
	return hits
}

// topHits keeps the best limit of the touched slots, best first; ties go
// to the lower kind and id, so the order is stable.
func topHits(docs []*Entry, sc *scratch, limit int) []Hit {
	better := func(a, b Hit) bool {
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.ID < b.ID
	}
	var top []Hit
	for _, slot := range sc.touched {
		s := sc.score[slot]
		if s <= 0 {
			continue
		}
		h := Hit{Entry: docs[slot], Score: s}
		if len(top) == limit && !better(h, top[len(top)-1]) {
			continue
		}
		i := sort.Search(len(top), func(i int) bool { return better(h, top[i]) })
		if len(top) < limit {
			top = append(top, Hit{})
		}
		copy(top[i+1:], top[i:len(top)-1])
		top[i] = h
	}
	return top
}

// queryTerm is a term of a query with its weight: 1 for the words typed,
// less for the longer words a word being typed may become.
type queryTerm struct {
	term   string
	weight float64
}

// maxQueryTerms bounds a query: a pasted description ranks by its first words.
const maxQueryTerms = 64

func queryTerms(q string) []queryTerm {
	seen := map[string]bool{}
	var out []queryTerm
	for _, t := range Terms(q) {
		if !seen[t] && len(out) < maxQueryTerms {
			seen[t] = true
			out = append(out, queryTerm{term: t, weight: 1})
		}
	}
	return out
}

// typing is the last word of q in lower case when q does not end after
// it (the person is still typing it) and it is long enough to expand.
func typing(q string) string {
	if q == "" {
		return ""
	}
	r := []rune(q)
	if last := r[len(r)-1]; !unicode.IsLetter(last) && !unicode.IsNumber(last) {
		return ""
	}
	words := record.Words(q)
	w := strings.ToLower(words[len(words)-1])
	if len([]rune(w)) < 3 || len(w) > maxWord {
		return ""
	}
	return w
}

// prefixed lists the terms that start with prefix, other than those in
// have. The caller holds the write lock.
func (ix *Index) prefixed(prefix string, have []queryTerm) []queryTerm {
	if ix.vocab == nil {
		ix.vocab = make([]string, 0, len(ix.post))
		for t := range ix.post {
			ix.vocab = append(ix.vocab, t)
		}
		sort.Strings(ix.vocab)
	}
	var out []queryTerm
	for i := sort.SearchStrings(ix.vocab, prefix); i < len(ix.vocab) && len(out) < maxPrefixTerms; i++ {
		t := ix.vocab[i]
		if !strings.HasPrefix(t, prefix) {
			break
		}
		dup := false
		for _, h := range have {
			dup = dup || h.term == t
		}
		if !dup {
			out = append(out, queryTerm{term: t, weight: 0.8})
		}
	}
	return out
}
