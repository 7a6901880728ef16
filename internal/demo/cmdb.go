package demo

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"steward/internal/audit"
	"steward/internal/catalog"
	"steward/internal/cmdb"
	"steward/internal/patch"
	"steward/internal/store"
)

// loadCMDB adds a small configuration as the fleet generator makes it:
// business services named after the catalogue's live services, each on
// three applications named after it, a database and a cluster of
// servers, and sites with gateways and sensors grouped into fleets. Each
// business service stands for its catalogue service, with the service's
// owner and support group. Some servers and licensed software carry asset
// records, a few of them ending soon.
func loadCMDB(ctx context.Context, db *store.DB) error {
	type live struct {
		id           int64
		owner, group *int64
	}
	services := map[string]live{}
	var names []string
	rows, err := db.Query(ctx, "SELECT id, name, owner_id, support_group_id FROM services WHERE status = 'live' ORDER BY id")
	if err != nil {
		return err
	}
	for rows.Next() {
		var s live
		var name string
		if err := rows.Scan(&s.id, &name, &s.owner, &s.group); err != nil {
			rows.Close()
			return err
		}
		services[name] = s
		names = append(names, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var cis, rels bytes.Buffer
	if _, err := cmdb.GenerateFleet(cmdb.FleetSpec{CIs: 600, Seed: 7, Services: names}, &cis, &rels); err != nil {
		return err
	}
	c := cmdb.NewService(db, nil)
	if _, err := c.Import(ctx, audit.System, cmdb.ImportOptions{CIs: &cis, Relationships: &rels}); err != nil {
		return err
	}
	ids, err := ciIDs(ctx, db)
	if err != nil {
		return err
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		for _, name := range names {
			s, id := services[name], ids["Business service/"+name]
			pt := cmdb.CIPatch{ServiceID: patch.Of(s.id)}
			if s.owner != nil {
				pt.OwnerID = patch.Of(*s.owner)
			}
			if s.group != nil {
				pt.GroupID = patch.Of(*s.group)
			}
			if _, err := c.UpdateCITx(ctx, tx, audit.System, id, pt, 0); err != nil {
				return fmt.Errorf("demo CI %s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return loadAssets(ctx, c, ids, time.Now().UTC())
}

// ciIDs maps "type/name" to the id of every CI that is not a sensor.
func ciIDs(ctx context.Context, db *store.DB) (map[string]int64, error) {
	rows, err := db.Query(ctx, `SELECT t.name, c.name, c.id FROM cis c JOIN ci_types t ON t.id = c.type_id WHERE t.name <> 'Sensor'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := map[string]int64{}
	for rows.Next() {
		var typ, name string
		var id int64
		if err := rows.Scan(&typ, &name, &id); err != nil {
			return nil, err
		}
		ids[typ+"/"+name] = id
	}
	return ids, rows.Err()
}

// demoSoftware is licensed software of the demo: the seats owned, the
// licence's end in days from today, and how many servers it runs on.
var demoSoftware = []struct {
	name, vendor string
	seats        int64
	endsIn       int
	servers      int
}{
	{"Microsoft 365 E3", "Microsoft", 250, 300, 4},
	{"SAP S/4HANA", "SAP", 6, 41, 5},
	{"Veeam Backup & Replication", "Veeam", 8, 190, 10},
	{"Red Hat Enterprise Linux", "Red Hat", 10, 24, 12},
}

// loadAssets gives twelve servers an asset record with warranties ending
// from last month to three years out, and adds licensed software that
// runs on servers, one licence over-deployed and two ending soon.
func loadAssets(ctx context.Context, c *cmdb.Service, ids map[string]int64, now time.Time) error {
	day := func(days int) *string {
		d := now.AddDate(0, 0, days).Format(time.DateOnly)
		return &d
	}
	warranty := []int{-20, 12, 53, 120, 250, 400, 520, 640, 760, 880, 1000, 1100}
	for i, ends := range warranty {
		host := fmt.Sprintf("srv-%05d", i+1)
		in := cmdb.AssetInput{AssetTag: fmt.Sprintf("AT-%05d", 3100+i), PurchaseDate: day(ends - 3*365),
			Cost: catalog.Amount(fmt.Sprintf("%d.00", 4200+i*350)), Supplier: []string{"Dell Technologies", "Hewlett Packard Enterprise"}[i%2],
			Contract: fmt.Sprintf("SUP-%d-%03d", now.Year()-3+i%3, 40+i), WarrantyEnd: day(ends),
			Lifecycle: &cmdb.Lifecycle{Ordered: day(ends - 3*365 - 20), Received: day(ends - 3*365 - 6), Deployed: day(ends - 3*365), RetireBy: day(ends + 2*365)}}
		if _, _, err := c.PutAsset(ctx, audit.System, ids["Server/"+host], in, 0); err != nil {
			return fmt.Errorf("demo asset %s: %w", host, err)
		}
	}
	for k, sw := range demoSoftware {
		ci, err := c.CreateCI(ctx, audit.System, cmdb.NewCI{Type: cmdb.SoftwareType, Name: sw.name,
			Attributes: map[string]any{"vendor": sw.vendor, "product": sw.name}}, nil)
		if err != nil {
			return fmt.Errorf("demo software %s: %w", sw.name, err)
		}
		for i := 0; i < sw.servers; i++ {
			host := ids[fmt.Sprintf("Server/srv-%05d", 1+(k*7+i*3)%40)]
			if _, err := c.Relate(ctx, audit.System, cmdb.NewRelationship{SourceID: ci.ID, TargetID: host, Type: cmdb.RunsOn}, nil); err != nil {
				return fmt.Errorf("demo software %s: %w", sw.name, err)
			}
		}
		seats := sw.seats
		in := cmdb.AssetInput{AssetTag: fmt.Sprintf("SW-%04d", 100+k), Supplier: sw.vendor, SeatsOwned: &seats, LicenceEnd: day(sw.endsIn),
			PurchaseDate: day(sw.endsIn - 365), Contract: fmt.Sprintf("LIC-%s-%d", sw.vendor[:3], now.Year())}
		if _, _, err := c.PutAsset(ctx, audit.System, ci.ID, in, 0); err != nil {
			return fmt.Errorf("demo licence %s: %w", sw.name, err)
		}
	}
	return nil
}

// linkIncidentCIs links each incident about a service to the application
// of that service it is about, and the more urgent ones to the business
// service as well, as the agent working it would have.
func linkIncidentCIs(ctx context.Context, db *store.DB) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT i.id, i.priority, i.created_at, b.id, a.id
			FROM incidents i JOIN cis b ON b.service_id = i.service_id
			JOIN ci_relationships r ON r.source_id = b.id AND r.type = 'depends_on'
			JOIN cis a ON a.id = r.target_id JOIN ci_types t ON t.id = a.type_id AND t.name = 'Application'
			ORDER BY i.id, a.id`)
		if err != nil {
			return err
		}
		type link struct {
			incident, ci int64
			at           string
		}
		var links []link
		seen := map[int64]int{}
		for rows.Next() {
			var id, priority, service, app int64
			var created string
			if err := rows.Scan(&id, &priority, &created, &service, &app); err != nil {
				rows.Close()
				return err
			}
			// The incident's application is one of its service's three.
			k := seen[id]
			seen[id]++
			if int64(k) != id%3 {
				continue
			}
			links = append(links, link{id, app, created})
			if priority <= 2 {
				links = append(links, link{id, service, created})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, l := range links {
			if _, err := tx.Exec(ctx, "INSERT INTO record_cis (kind, record_id, ci_id, created_at) VALUES ('incident', ?, ?, ?)", l.incident, l.ci, l.at); err != nil {
				return err
			}
		}
		return nil
	})
}
