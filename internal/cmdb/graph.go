package cmdb

import "sync"

// graphHolder keeps the in-memory impact graph (filled in by graph loading).
type graphHolder struct {
	mu sync.Mutex
}
