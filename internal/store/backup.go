package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of a SQLite database to path while the
// server keeps running (VACUUM INTO reads one snapshot).
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.dialect != SQLite {
		return errors.New("online backup is for SQLite; use pg_dump for PostgreSQL")
	}
	// A connection of its own: the read pool is query-only and the write
	// connection must stay free for the server's writers meanwhile.
	conn, err := sql.Open("sqlite", "file:"+db.path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "VACUUM INTO ?", path)
	return err
}

// Restore checks that backup is a sound Steward database and puts it in
// place of dataDir's database. The server must be stopped; the database it
// replaces is kept beside it with a .before-restore suffix.
func Restore(ctx context.Context, backup, dataDir string) error {
	if _, err := os.Stat(backup); err != nil {
		return fmt.Errorf("backup file: %w", err)
	}
	check, err := sql.Open("sqlite", "file:"+backup+"?mode=ro")
	if err != nil {
		return err
	}
	var result string
	err = check.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&result)
	if err == nil && result != "ok" {
		err = fmt.Errorf("integrity check: %s", result)
	}
	var n int
	if err == nil {
		err = check.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n)
	}
	check.Close()
	if err != nil {
		return fmt.Errorf("%s is not a usable Steward backup: %w", backup, err)
	}
	target := filepath.Join(dataDir, DBFile)
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return err
	}
	if _, err := os.Stat(target); err == nil {
		if err := os.Rename(target, target+".before-restore"); err != nil {
			return err
		}
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		os.Remove(target + suffix)
	}
	tmp := target + ".restoring"
	if err := copyFile(backup, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, target)
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
