// Command sqliteprobe measures what SQLite itself does on this machine
// with Steward's settings: an incident row and an audit row per
// transaction (and, with -rows, several per transaction) in a temporary
// database. Its rate is the yardstick for the create figures in
// docs/BENCHMARKS.md; `steward bench --probe` runs the same code after a
// run.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"steward/internal/bench"
)

func main() {
	d := flag.Duration("duration", 5*time.Second, "how long to write")
	rows := flag.Int("rows", 1, "incidents per transaction")
	dir := flag.String("dir", "", "folder for the temporary database (default: the system's)")
	flag.Parse()
	res, err := bench.Probe(context.Background(), *dir, *d, *rows)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sqliteprobe:", err)
		os.Exit(1)
	}
	fmt.Printf("sqlite probe: %d incidents in %s, %d per transaction: %.0f incidents/s, %.0f commits/s\n",
		res.Rows, res.Duration, res.RowsPerTx, res.PerSecond, res.CommitsRate)
}
