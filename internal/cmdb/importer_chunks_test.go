package cmdb_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"steward/internal/cmdb"
	"steward/internal/domainerr"
	"steward/internal/jobs"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// importWriteBeside runs a write transaction while an import is stopped
// at one of its progress hooks. On SQLite the write needs the one write
// connection; on PostgreSQL it updates a row the import matches, which an
// open import transaction would hold locked. The deadline only keeps a
// failing run from hanging.
func importWriteBeside(t *testing.T, db *store.DB, q string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, q, args...)
		return err
	})
	if err != nil {
		t.Errorf("a write waited for the import: %v", err)
	}
}

func TestImportDryRunLeavesTheWritePathFree(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		importRun(t, e.DB, importSites, importRels, cmdb.ImportOptions{})
		history := importCount(t, e.DB, "SELECT count(*) FROM ci_history")
		changed := strings.ReplaceAll(importSites, ",in_use,", ",maintenance,")
		hooks := 0
		rep := importRun(t, e.DB, changed, importRels, cmdb.ImportOptions{DryRun: true, ChunkRows: 2,
			Progress: func(p cmdb.ImportProgress) {
				if p.Phase != cmdb.PhaseValidate {
					t.Errorf("a dry run reported phase %q", p.Phase)
				}
				if hooks++; hooks == 2 {
					// Every CI the dry run has matched so far gets a write
					// from someone else, in the middle of the dry run.
					importWriteBeside(t, e.DB, "UPDATE cis SET location = ? WHERE status = 'in_use'", "moved during the dry run")
				}
			}})
		if hooks < 4 {
			t.Fatalf("the dry run stopped at %d chunks; the test needs it to be under way", hooks)
		}
		if rep.Committed || rep.CIs.Updated == 0 || rep.Relationships.Unchanged != 5 {
			t.Errorf("dry run: %+v", rep)
		}
		if n := importCount(t, e.DB, "SELECT count(*) FROM ci_history"); n != history {
			t.Errorf("the dry run wrote %d history entries", n-history)
		}
		if n := importCount(t, e.DB, "SELECT count(*) FROM cis WHERE location = 'moved during the dry run'"); n == 0 {
			t.Error("the writes beside the dry run were lost")
		}
	})
}

func TestImportCommitsInChunks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		var seen []int
		rep := importRun(t, e.DB, importSites, importRels, cmdb.ImportOptions{ContinueOnError: true, ChunkRows: 3,
			Progress: func(p cmdb.ImportProgress) {
				if p.Phase != cmdb.PhaseCIs {
					return
				}
				// Another writer gets in between two chunks, and readers
				// see the chunks committed so far.
				importWriteBeside(t, e.DB, "UPDATE users SET name = name WHERE id = 0")
				seen = append(seen, importCount(t, e.DB, "SELECT count(*) FROM cis"))
			}})
		if !rep.Committed || rep.CIs.Created != 8 || rep.Relationships.Created != 5 {
			t.Fatalf("import: %+v", rep)
		}
		if len(seen) != 3 || seen[0] != 3 || seen[1] != 6 || seen[2] != 8 {
			t.Errorf("CIs visible after each chunk: %v, want [3 6 8]", seen)
		}
	})
}

func TestImportAllOrNothingAcrossChunks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		bad := importSites + "IoT gateway,gw three,in_use,Lyon,,,GW-3,4.1,10.0.0.300,code=S-1,,\n"
		var phases []string
		rep := importRun(t, e.DB, bad, importRels, cmdb.ImportOptions{ChunkRows: 2,
			Progress: func(p cmdb.ImportProgress) { phases = append(phases, p.Phase) }})
		if rep.Committed || rep.Rejected != 1 || len(rep.Errors) != 1 || rep.Errors[0].Line != 10 {
			t.Fatalf("report: %+v", rep)
		}
		for _, p := range phases {
			if p != cmdb.PhaseValidate {
				t.Fatalf("an import with an error on its last line began to apply: phases %v", phases)
			}
		}
		for _, table := range []string{"cis", "ci_history", "ci_identifiers", "ci_relationships"} {
			if n := importCount(t, e.DB, "SELECT count(*) FROM "+table); n != 0 {
				t.Errorf("a refused import left %d rows in %s", n, table)
			}
		}
	})
}

func TestImportStopsWhenTheDatabaseChangesUnderIt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		importRun(t, e.DB, "type,name,code\nSite,Porto plant,S-2\n", "", cmdb.ImportOptions{})
		cis := "type,name,code,device_id,site\nSite,Lyon plant,S-1,,\nIoT gateway,gw one,,GW-1,code=S-1\nIoT gateway,gw two,,GW-2,code=S-2\n"
		_, err := cmdb.NewService(e.DB, nil).Import(context.Background(), importActor, cmdb.ImportOptions{
			CIs: strings.NewReader(cis), CIFormat: cmdb.FormatCSV, ChunkRows: 2,
			Progress: func(p cmdb.ImportProgress) {
				if p.Phase == cmdb.PhaseCIs && p.Lines == 2 {
					// After the plan, before the chunk that refers to it.
					importWriteBeside(t, e.DB, "DELETE FROM ci_identifiers WHERE value = 'S-2'")
				}
			}})
		var conflict *domainerr.Conflict
		if !errors.As(err, &conflict) || !strings.Contains(err.Error(), "line 4") {
			t.Fatalf("want a conflict naming line 4, got %v", err)
		}
		if n := importCount(t, e.DB, "SELECT count(*) FROM cis"); n != 3 {
			t.Errorf("CIs: %d, want the Porto site and the first chunk's two", n)
		}
	})
}

// importJobRun runs the due import jobs, each for at most chunks chunks.
func importJobRun(t *testing.T, db *store.DB, svc *cmdb.Service, chunks int) {
	t.Helper()
	w := &jobs.Worker{DB: db, Handlers: map[string]jobs.Handler{cmdb.ImportJobKind: func(ctx context.Context, j jobs.Job) error {
		return svc.RunImportJobChunks(ctx, j, chunks)
	}}}
	if _, err := w.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestImportJobResumesAfterAStop(t *testing.T) {
	for _, keepGoing := range []bool{false, true} {
		name := "all or nothing"
		if keepGoing {
			name = "continue on error"
		}
		t.Run(name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, e storetest.Engine) { importResume(t, e.DB, keepGoing) })
		})
	}
}

// importResume runs an import job one chunk at a time, stopping after
// each as a node shut down there would, and checks that the import ends
// as one run without a stop would.
func importResume(t *testing.T, db *store.DB, keepGoing bool) {
	ctx := context.Background()
	cis, wantRejected := importSites, 0
	if keepGoing {
		cis += "IoT gateway,gw bad,in_use,Lyon,,,GW-9,4.1,10.0.0.300,code=S-1,,\n"
		wantRejected = 1
	}
	svc := cmdb.NewService(db, nil)
	svc.ImportChunkRows = 2
	job, err := svc.StartImport(ctx, importActor, cmdb.ImportRequest{CIs: []byte(cis), CIFormat: cmdb.FormatCSV,
		Relationships: []byte(importRels), RelFormat: cmdb.FormatCSV, ContinueOnError: keepGoing})
	if err != nil || job.State != cmdb.ImportQueued {
		t.Fatalf("start: %+v %v", job, err)
	}
	importJobRun(t, db, svc, 1)
	job, err = svc.GetImport(ctx, job.ID)
	if err != nil || job.State != cmdb.ImportApplying || job.Phase != cmdb.PhaseCIs || job.LinesDone != 2 {
		t.Fatalf("after one chunk: %+v %v", job, err)
	}
	if n := importCount(t, db, "SELECT count(*) FROM cis"); n != 2 {
		t.Fatalf("after one chunk %d CIs are in, want 2", n)
	}
	runs := 1
	for ; !job.Finished() && runs < 40; runs++ {
		importJobRun(t, db, svc, 1)
		if job, err = svc.GetImport(ctx, job.ID); err != nil {
			t.Fatal(err)
		}
	}
	if job.State != cmdb.ImportDone || !job.Report.Committed || runs < 5 {
		t.Fatalf("after %d runs: %+v", runs, job)
	}
	importWant(t, job.Report.CIs, cmdb.ImportCounts{Lines: 8 + wantRejected, Created: 8, Rejected: wantRejected}, "resumed import, CIs")
	importWant(t, job.Report.Relationships, cmdb.ImportCounts{Lines: 5, Created: 5}, "resumed import, relationships")
	if len(job.Report.Errors) != wantRejected || job.Report.Rejected != wantRejected {
		t.Errorf("errors of the resumed import: %+v", job.Report.Errors)
	}
	for q, want := range map[string]int{
		"SELECT count(*) FROM cis":                                    8,
		"SELECT count(*) FROM ci_relationships":                       5,
		"SELECT count(*) FROM ci_history WHERE action = 'create'":     8,
		"SELECT count(*) FROM audit_log WHERE action = 'cmdb.import'": 1,
		"SELECT count(*) FROM cmdb_import_files":                      0,
	} {
		if n := importCount(t, db, q); n != want {
			t.Errorf("%s: %d, want %d", q, n, want)
		}
	}
}
