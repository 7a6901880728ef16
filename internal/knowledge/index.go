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
type Index struct {
	mu       sync.RWMutex
	docs     map[docKey]*Entry
	post     map[string]map[docKey]posting
	sumTitle int
	sumBody  int
	vocab    []string // the terms, sorted, for prefixes; nil when stale
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

// posting is how often a term occurs in a document's title and body.
type posting struct{ title, body int32 }

// BM25's constants, and the title's weight over the body's.
const (
	bm25K1      = 1.2
	bm25B       = 0.75
	titleWeight = 3.0
)

// NewIndex makes an empty index.
func NewIndex() *Index {
	return &Index{docs: map[docKey]*Entry{}, post: map[string]map[docKey]posting{}}
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
	for t, c := range counts {
		m := ix.post[t]
		if m == nil {
			m = map[docKey]posting{}
			ix.post[t] = m
			ix.vocab = nil
		}
		m[key] = c
	}
	ix.docs[key] = &e
	ix.sumTitle += e.titleLen
	ix.sumBody += e.bodyLen
}

// Remove takes a document out.
func (ix *Index) Remove(kind string, id int64) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.remove(docKey{kind, id})
}

func (ix *Index) remove(key docKey) {
	old, ok := ix.docs[key]
	if !ok {
		return
	}
	for _, t := range old.terms {
		delete(ix.post[t], key)
		if len(ix.post[t]) == 0 {
			delete(ix.post, t)
			ix.vocab = nil
		}
	}
	ix.sumTitle -= old.titleLen
	ix.sumBody -= old.bodyLen
	delete(ix.docs, key)
}

// Len is the number of documents.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.docs)
}

// Hit is a ranked document.
type Hit struct {
	*Entry
	Score float64
}

// maxPrefixTerms bounds the terms a word being typed expands to.
const maxPrefixTerms = 20

// Rank scores the documents keep accepts against query and returns the
// best limit, best first. The last word, when the query does not end in
// a space, also matches as the start of longer words: "vpn tok" finds
// "token" while it is being typed.
func (ix *Index) Rank(query string, keep func(*Entry) bool, limit int) []Hit {
	terms := queryTerms(query)
	if len(terms) == 0 || limit <= 0 {
		return nil
	}
	ix.mu.Lock() // the vocabulary may need sorting; ranking itself only reads
	if partial := typing(query); partial != "" {
		terms = append(terms, ix.prefixed(partial, terms)...)
	}
	ix.mu.Unlock()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	n := float64(len(ix.docs))
	if n == 0 {
		return nil
	}
	avgTitle := math.Max(float64(ix.sumTitle)/n, 1)
	avgBody := math.Max(float64(ix.sumBody)/n, 1)
	scores := map[docKey]float64{}
	kept := map[docKey]bool{}
	for _, qt := range terms {
		docs := ix.post[qt.term]
		if len(docs) == 0 {
			continue
		}
		df := float64(len(docs))
		idf := math.Log(1+(n-df+0.5)/(df+0.5)) * qt.weight
		for key, p := range docs {
			ok, seen := kept[key]
			if !seen {
				ok = keep == nil || keep(ix.docs[key])
				kept[key] = ok
			}
			if !ok {
				continue
			}
			e := ix.docs[key]
			tf := titleWeight*float64(p.title)/(1-bm25B+bm25B*float64(e.titleLen)/avgTitle) +
				float64(p.body)/(1-bm25B+bm25B*float64(e.bodyLen)/avgBody)
			scores[key] += idf * tf * (bm25K1 + 1) / (tf + bm25K1)
		}
	}
	hits := make([]Hit, 0, len(scores))
	for key, sc := range scores {
		hits = append(hits, Hit{Entry: ix.docs[key], Score: sc})
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].Score != hits[j].Score {
			return hits[i].Score > hits[j].Score
		}
		if hits[i].Kind != hits[j].Kind {
			return hits[i].Kind < hits[j].Kind
		}
		return hits[i].ID < hits[j].ID
	})
	if len(hits) > limit {
		hits = hits[:limit]
	}
	return hits
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
