package store

// CheckpointedThrough is the number of commits whose pages a background
// checkpoint has copied into the database file.
func CheckpointedThrough(db *DB) int64 { return db.checkpointedThrough.Load() }
