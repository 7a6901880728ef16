package record

import "steward/internal/store"

// Kernel is the shared machinery over one database, for the kinds declared
// in it: the API and the pages take it whole.
type Kernel struct {
	DB          *store.DB
	Kinds       *Kinds
	Links       *Links
	Attachments *Attachments
	Filters     *Filters
}

// NewKernel builds the machinery for kinds; maxAttachment of 0 means
// DefaultMaxAttachment.
func NewKernel(db *store.DB, maxAttachment int64, kinds ...*Kind) *Kernel {
	ks := NewKinds()
	for _, k := range kinds {
		ks.Add(k)
	}
	return &Kernel{
		DB:          db,
		Kinds:       ks,
		Links:       &Links{DB: db, Kinds: ks},
		Attachments: &Attachments{DB: db, Kinds: ks, MaxSize: maxAttachment},
		Filters:     &Filters{DB: db, Kinds: ks},
	}
}
