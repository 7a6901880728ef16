package store

// FullCheckpoints counts the background checkpoints that copied the whole
// write-ahead log into the database file.
func FullCheckpoints(db *DB) int64 { return db.fullCheckpoints.Load() }
