package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"steward/internal/audit"
	"steward/internal/cmdb"
	"steward/internal/config"
)

// importCmd is `steward import cis FILE` and `steward import relationships FILE`.
func importCmd(ctx context.Context, env Env, args []string) error {
	const use = "usage: steward import cis FILE [--relationships FILE] [--format csv|json] [--dry-run] [--continue-on-error]\n" +
		"   or: steward import relationships FILE [--format csv|json] [--dry-run] [--continue-on-error]"
	if len(args) == 0 || (args[0] != "cis" && args[0] != "relationships") {
		return usagef("%s", use)
	}
	var cfg config.Config
	var relFile, format, changeRef string
	var dryRun, keepGoing bool
	fs := flag.NewFlagSet("import "+args[0], flag.ContinueOnError)
	cfg.Storage(fs)
	if args[0] == "cis" {
		fs.StringVar(&relFile, "relationships", "", "a file of relationships to import after the CIs")
	}
	fs.StringVar(&format, "format", "", "csv or json (default: from the file name's extension)")
	fs.BoolVar(&dryRun, "dry-run", false, "report what would change and change nothing")
	fs.BoolVar(&keepGoing, "continue-on-error", false, "import the valid lines and report the skipped ones (default: any error imports nothing)")
	fs.StringVar(&changeRef, "change-ref", "", "the change record that authorised the import, kept in the CI history")
	files, err := parseWithFiles(fs, args[1:], env)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return usagef("%s", use)
	}
	opts := cmdb.ImportOptions{DryRun: dryRun, ContinueOnError: keepGoing, ChangeRef: changeRef}
	progress := &importProgress{env: env, start: time.Now(), last: time.Now()}
	first, err := progress.open(files[0], format)
	if err != nil {
		return err
	}
	defer first.Close()
	if args[0] == "cis" {
		opts.CIs, opts.CIFormat = first.reader, first.format
	} else {
		opts.Relationships, opts.RelFormat = first.reader, first.format
	}
	if relFile != "" {
		rel, err := progress.open(relFile, format)
		if err != nil {
			return err
		}
		defer rel.Close()
		opts.Relationships, opts.RelFormat = rel.reader, rel.format
	}
	db, err := openMigrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	opts.Progress = progress.report
	svc := cmdb.NewService(db, nil)
	rep, err := svc.Import(ctx, audit.Actor{Type: "system", Name: "cli"}, opts)
	progress.finish()
	if err != nil {
		return err
	}
	writeImportReport(env.Stdout, rep)
	if rep.Rejected > 0 {
		return fmt.Errorf("%s rejected", lines(rep.Rejected))
	}
	return nil
}

// parseWithFiles parses flags given before, between and after file names.
func parseWithFiles(fs *flag.FlagSet, args []string, env Env) ([]string, error) {
	fs.SetOutput(env.Stderr)
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%v", err)
		}
		if fs.NArg() == 0 {
			return files, nil
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// importFile is an input file and how many of its bytes were read.
type importFile struct {
	*os.File
	reader io.Reader
	format cmdb.DataFormat
}

// countingReader counts the bytes read from a file into a total shared by
// the import's files; rewinding it (the apply after the validation reads
// the file again) takes its bytes back off the total.
type countingReader struct {
	f   *os.File
	n   *atomic.Int64
	own int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.f.Read(p)
	c.n.Add(int64(n))
	c.own += int64(n)
	return n, err
}

func (c *countingReader) Seek(offset int64, whence int) (int64, error) {
	pos, err := c.f.Seek(offset, whence)
	if err == nil {
		c.n.Add(pos - c.own)
		c.own = pos
	}
	return pos, err
}

// importProgress draws a progress bar on a terminal, and a line every
// few seconds otherwise.
type importProgress struct {
	env   Env
	start time.Time
	total int64
	read  atomic.Int64
	last  time.Time
	drawn bool
	seen  cmdb.ImportProgress
}

func (p *importProgress) open(name, format string) (*importFile, error) {
	f := cmdb.DataFormat(format)
	switch {
	case format == "":
		var ok bool
		if f, ok = cmdb.FormatOf(name); !ok {
			return nil, usagef("cannot tell the format of %s from its name; give --format csv or --format json", name)
		}
	case f != cmdb.FormatCSV && f != cmdb.FormatJSON:
		return nil, usagef("--format must be csv or json")
	}
	file, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	if info, err := file.Stat(); err == nil {
		p.total += info.Size()
	}
	return &importFile{File: file, reader: &countingReader{f: file, n: &p.read}, format: f}, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

func (p *importProgress) report(pr cmdb.ImportProgress) {
	p.seen = pr
	now := time.Now()
	tty := isTerminal(p.env.Stderr)
	if (tty && now.Sub(p.last) < 200*time.Millisecond) || (!tty && now.Sub(p.last) < 5*time.Second) {
		return
	}
	p.last = now
	frac := 0.0
	if p.total > 0 {
		frac = float64(p.read.Load()) / float64(p.total)
	}
	elapsed := now.Sub(p.start).Round(time.Second)
	if !tty {
		fmt.Fprintf(p.env.Stderr, "import: %s: %d lines, %.0f%% of the input read, %s\n", pr.Phase, pr.Lines, 100*frac, elapsed)
		return
	}
	const width = 30
	done := int(frac * width)
	bar := strings.Repeat("#", done) + strings.Repeat(".", width-done)
	fmt.Fprintf(p.env.Stderr, "\r[%s] %3.0f%%  %-13s %9d lines  %s   ", bar, 100*frac, pr.Phase, pr.Lines, elapsed)
	p.drawn = true
}

func (p *importProgress) finish() {
	if p.drawn {
		p.last = time.Time{}
		p.report(p.seen) // the bar as it ended
		fmt.Fprintln(p.env.Stderr)
	}
}

func writeImportReport(w io.Writer, rep cmdb.ImportReport) {
	for _, c := range []struct {
		name string
		n    cmdb.ImportCounts
	}{{"CIs", rep.CIs}, {"relationships", rep.Relationships}} {
		if c.n.Lines == 0 {
			continue
		}
		fmt.Fprintf(w, "%s: %d lines: %d created, %d updated, %d unchanged, %d rejected\n",
			c.name, c.n.Lines, c.n.Created, c.n.Updated, c.n.Unchanged, c.n.Rejected)
	}
	for _, ch := range rep.Changes {
		fmt.Fprintf(w, "  line %d: %s %q (CI #%d):", ch.Line, ch.Type, ch.Name, ch.CIID)
		for _, f := range ch.Fields {
			fmt.Fprintf(w, " %s %s -> %s;", f.Field, quoteOpt(f.Old), quoteOpt(f.New))
		}
		fmt.Fprintln(w)
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(w, "  error: %s\n", e)
	}
	if rep.ErrorsOmitted > 0 {
		fmt.Fprintf(w, "  ... and %d more errors\n", rep.ErrorsOmitted)
	}
	took := time.Duration(rep.DurationMS) * time.Millisecond
	switch {
	case rep.DryRun:
		fmt.Fprintf(w, "dry run: nothing was changed (%s)\n", took)
	case rep.Committed && rep.Rejected > 0:
		fmt.Fprintf(w, "imported in %s; %s with errors skipped\n", took, lines(rep.Rejected))
	case rep.Committed:
		fmt.Fprintf(w, "imported in %s\n", took)
	default:
		fmt.Fprintf(w, "nothing was imported: %s with errors (use --continue-on-error to import the others)\n", lines(rep.Rejected))
	}
}

func lines(n int) string {
	if n == 1 {
		return "1 line"
	}
	return fmt.Sprintf("%d lines", n)
}

func quoteOpt(s *string) string {
	if s == nil {
		return "(none)"
	}
	return fmt.Sprintf("%q", *s)
}

// exportCmd is `steward export cis`.
func exportCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "cis" {
		return usagef("usage: steward export cis [--type T] [--status S] [--format csv|json] [--out FILE]")
	}
	var cfg config.Config
	var typ, status, format, out string
	fs := flag.NewFlagSet("export cis", flag.ContinueOnError)
	cfg.Storage(fs)
	fs.StringVar(&typ, "type", "", "only CIs of this type (name or id)")
	fs.StringVar(&status, "status", "", "only CIs in this status: planned, in_use, maintenance or retired")
	fs.StringVar(&format, "format", "", "csv or json (default: from --out's extension, else csv)")
	fs.StringVar(&out, "out", "", "file to write (default: standard output)")
	if err := parse(fs, args[1:], env); err != nil {
		return err
	}
	f := cmdb.DataFormat(format)
	if format == "" {
		f = cmdb.FormatCSV
		if g, ok := cmdb.FormatOf(out); ok {
			f = g
		}
	} else if f != cmdb.FormatCSV && f != cmdb.FormatJSON {
		return usagef("--format must be csv or json")
	}
	db, err := openMigrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	w := env.Stdout
	if out != "" {
		file, err := os.Create(out)
		if err != nil {
			return err
		}
		defer file.Close()
		w = file
	}
	start := time.Now()
	n, err := cmdb.NewService(db, nil).Export(ctx, w, cmdb.ExportFilter{Type: typ, Status: cmdb.Status(status)}, f)
	if err != nil {
		return err
	}
	if out != "" {
		fmt.Fprintf(env.Stderr, "exported %d CIs to %s in %s\n", n, out, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// cmdbCmd is `steward cmdb generate`.
func cmdbCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "generate" {
		return usagef("usage: steward cmdb generate --cis N [--seed S] [--out DIR]")
	}
	var cfg config.Config
	var n int
	var seed uint64
	var out string
	fs := flag.NewFlagSet("cmdb generate", flag.ContinueOnError)
	cfg.Storage(fs)
	fs.IntVar(&n, "cis", 1_000_000, fmt.Sprintf("how many CIs, at least %d; about three relationships each", cmdb.MinFleetCIs))
	fs.Uint64Var(&seed, "seed", 1, "seed: the same seed gives the same fleet")
	fs.StringVar(&out, "out", "", "write cis.csv and relationships.csv into this folder instead of importing them into the database")
	if err := parse(fs, args[1:], env); err != nil {
		return err
	}
	if n < cmdb.MinFleetCIs || n > 50_000_000 {
		return usagef("--cis must be between %d and 50000000", cmdb.MinFleetCIs)
	}
	dir := out
	if dir == "" {
		tmp, err := os.MkdirTemp("", "steward-fleet-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	cisPath, relPath := filepath.Join(dir, "cis.csv"), filepath.Join(dir, "relationships.csv")
	start := time.Now()
	counts, err := writeFleet(cmdb.FleetSpec{CIs: n, Seed: seed}, cisPath, relPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "generated %d CIs and %d relationships in %s\n", counts.CIs, counts.Relationships, time.Since(start).Round(time.Millisecond))
	if out != "" {
		fmt.Fprintf(env.Stdout, "wrote %s and %s\nimport them with: steward import cis %s --relationships %s\n", cisPath, relPath, cisPath, relPath)
		return nil
	}
	return importCmd(ctx, env, append([]string{"cis", cisPath, "--relationships", relPath}, storageArgs(cfg)...))
}

func storageArgs(cfg config.Config) []string {
	if cfg.DatabaseURL != "" {
		return []string{"--database-url", cfg.DatabaseURL}
	}
	return []string{"--data", cfg.DataDir}
}

func writeFleet(spec cmdb.FleetSpec, cisPath, relPath string) (cmdb.FleetCounts, error) {
	cf, err := os.Create(cisPath)
	if err != nil {
		return cmdb.FleetCounts{}, err
	}
	defer cf.Close()
	rf, err := os.Create(relPath)
	if err != nil {
		return cmdb.FleetCounts{}, err
	}
	defer rf.Close()
	// GenerateFleet's CSV writers use these buffers as their own.
	counts, err := cmdb.GenerateFleet(spec, bufio.NewWriterSize(cf, 1<<20), bufio.NewWriterSize(rf, 1<<20))
	if err != nil {
		return counts, err
	}
	if err := cf.Close(); err != nil {
		return counts, err
	}
	return counts, rf.Close()
}
