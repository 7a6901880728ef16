package infosec_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/cmdb"
	"steward/internal/infosec"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// The products of a generated fleet (cmdb.GenerateFleet) that carry a
// version: its sensor models, gateways, applications and databases.
var fleetProducts = []string{"TH-200", "TH-210", "PX-10", "PX-12", "IoT gateway", "Application", "Database"}

// loadFleet imports a generated fleet of n CIs into db, with one business
// service per 250 CIs.
func loadFleet(t testing.TB, ctx context.Context, db *store.DB, n int) {
	t.Helper()
	dir := t.TempDir()
	cf, _ := os.Create(filepath.Join(dir, "cis.csv"))
	rf, _ := os.Create(filepath.Join(dir, "rels.csv"))
	var services []string
	for i := range n / 250 {
		services = append(services, fmt.Sprintf("Service %03d", i+1))
	}
	_, err := cmdb.GenerateFleet(cmdb.FleetSpec{CIs: n, Seed: 1, Services: services}, cf, rf)
	cf.Close()
	rf.Close()
	if err != nil {
		t.Fatal(err)
	}
	cf, _ = os.Open(filepath.Join(dir, "cis.csv"))
	rf, _ = os.Open(filepath.Join(dir, "rels.csv"))
	defer cf.Close()
	defer rf.Close()
	if _, err := cmdb.NewService(db, nil).Import(ctx, audit.System, cmdb.ImportOptions{CIs: cf, Relationships: rf}); err != nil {
		t.Fatal(err)
	}
}

// advisoryList writes n advisories over the fleet's products: narrow
// and wide version ranges, some matching nothing, several per product,
// so that advisories share devices and services.
func advisoryList(n int) string {
	rng := rand.New(rand.NewPCG(7, 8))
	var b strings.Builder
	b.WriteString("id,product,affected,fixed,severity,published\n")
	for i := range n {
		product := fleetProducts[rng.IntN(len(fleetProducts))]
		var affected string
		switch rng.IntN(4) {
		case 0:
			affected = fmt.Sprintf("%d.%d.x", 1+rng.IntN(4), rng.IntN(10))
		case 1:
			affected = fmt.Sprintf("<%d.%d", 1+rng.IntN(4), rng.IntN(10))
		case 2:
			affected = fmt.Sprintf("%d.%d.%d", 1+rng.IntN(4), rng.IntN(10), rng.IntN(20))
		default:
			affected = fmt.Sprintf(">=%d.0 <%d.5", 1+rng.IntN(4), 1+rng.IntN(4))
		}
		fmt.Fprintf(&b, "CVE-2026-%05d,%s,%s,9.9.9,%s,2026-01-%02d\n", 10000+i, product, affected,
			infosec.Severities[rng.IntN(len(infosec.Severities))], 1+i%28)
	}
	return b.String()
}

func exposureService(t testing.TB, ctx context.Context, db *store.DB, advisories int) (*infosec.Service, *auth.Principal) {
	t.Helper()
	svc := infosec.NewService(db, nil)
	svc.CMDB = cmdb.NewService(db, nil)
	admin := &auth.Principal{UserID: 1, Role: auth.Admin}
	if _, err := svc.ImportAdvisories(ctx, admin, strings.NewReader(advisoryList(advisories))); err != nil {
		t.Fatal(err)
	}
	return svc, admin
}

// Every advisory lists the services that the CMDB's impact analysis of
// its exposed devices gives, one analysis per advisory, as it did before
// the advisories shared one walk; the services exposed by any advisory
// carry each advisory that reaches them and the worst severity among
// them. The fleet's site and model fleets have percentage rules, so an
// advisory often fails only part of a fleet: the fleet is degraded, and
// its services are still exposed.
func TestExposureMatchesOneImpactAnalysisPerAdvisory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		loadFleet(t, ctx, e.DB, 3000)
		svc, admin := exposureService(t, ctx, e.DB, 60)
		x, err := svc.Exposure(ctx, admin, 0)
		if err != nil {
			t.Fatal(err)
		}
		withServices, shared := 0, 0
		worst := map[int64]string{}
		refs := map[int64][]string{}
		for _, a := range x.Advisories {
			one, err := svc.Exposure(ctx, admin, a.ID) // every device, for the reference analysis
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, d := range one.Advisories[0].Devices {
				ids = append(ids, d.CIID)
			}
			want := []string{}
			if len(ids) > 0 {
				res, err := svc.CMDB.Impact(ctx, cmdb.ImpactQuery{Failed: ids})
				if err != nil {
					t.Fatal(err)
				}
				for _, it := range res.Services {
					want = append(want, fmt.Sprintf("%d %s", it.CIID, it.Name))
					if infosecRank(a.Severity) > infosecRank(worst[it.CIID]) {
						worst[it.CIID] = a.Severity
					}
					refs[it.CIID] = append(refs[it.CIID], a.Ref)
				}
			}
			var got []string
			for _, s := range a.Services {
				got = append(got, fmt.Sprintf("%d %s", s.CIID, s.Name))
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s (%s %s, %d devices): services %v, one analysis gives %v", a.Ref, a.Product, a.Affected, a.DeviceCount, got, want)
			}
			if len(want) > 0 {
				withServices++
			}
			if len(ids) > 0 && len(ids) < a.DeviceCount {
				t.Fatalf("%s: %d of %d devices", a.Ref, len(ids), a.DeviceCount)
			}
		}
		for _, s := range x.Services {
			if s.Worst != worst[s.CIID] || !slices.Equal(sorted(s.Advisories), sorted(refs[s.CIID])) {
				t.Errorf("%s: worst %s by %v, want %s by %v", s.Name, s.Worst, s.Advisories, worst[s.CIID], refs[s.CIID])
			}
			if len(s.Advisories) > 1 {
				shared++
			}
		}
		if len(x.Services) != len(worst) || withServices < 10 || shared == 0 {
			t.Fatalf("%d exposed services (want %d), %d advisories reaching services, %d services shared: the fixture proves little",
				len(x.Services), len(worst), withServices, shared)
		}
	})
}

func infosecRank(s string) int { return slices.Index(infosec.Severities, s) }

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// The exposure of a fleet of 100,000 CIs to 200 advisories: matching
// every device against the advisories and following the exposed devices
// to the business services, as GET /vulnerabilities and
// GET /api/v1/security/exposure do.
//
//	go test ./internal/infosec/ -run '^$' -bench Exposure -benchtime 5x -timeout 30m
func BenchmarkExposure(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			ctx := context.Background()
			loadFleet(b, ctx, e.DB, 100000)
			svc, admin := exposureService(b, ctx, e.DB, 200)
			if _, err := svc.CMDB.Stats(ctx); err != nil { // the graph is loaded once per process
				b.Fatal(err)
			}
			b.ResetTimer()
			var x infosec.Exposure
			for b.Loop() {
				var err error
				if x, err = svc.Exposure(ctx, admin, 0); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(x.Devices), "devices")
			b.ReportMetric(float64(len(x.Services)), "services")
		})
	}
}
