package cmdb

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"

	"steward/internal/csvsafe"
)

// FleetSpec sizes a generated fleet.
type FleetSpec struct {
	CIs  int    // how many CIs in all; most of them sensors
	Seed uint64 // the same seed gives the same files
	// Services names the business services, such as those of a service
	// catalogue; their applications are named after them. Empty: the
	// fleet names its own, one per 5,000 CIs.
	Services []string
}

// FleetCounts says what a generated fleet holds.
type FleetCounts struct {
	CIs           int            `json:"cis"`
	Relationships int            `json:"relationships"`
	ByType        map[string]int `json:"by_type"`
}

// MinFleetCIs is the smallest fleet GenerateFleet makes.
const MinFleetCIs = 100

// fleetShape is how many CIs of each kind a fleet of n has.
type fleetShape struct {
	services, apps, dbs, clusters, servers, sites, cores, gateways, models, sensors int
}

func newFleetShape(n, services int) (fleetShape, error) {
	if n < MinFleetCIs {
		return fleetShape{}, fmt.Errorf("a fleet needs at least %d CIs", MinFleetCIs)
	}
	if services == 0 {
		services = min(max(n/5000, 2), 200)
	}
	s := fleetShape{services: services, sites: max(n/1000, 2), models: min(len(fleetModels), max(n/50000, 4))}
	s.apps, s.dbs, s.clusters, s.servers = s.services*3, s.services, s.services, s.services*10
	s.cores, s.gateways = max(s.sites/50, 1), s.sites*10
	fixed := s.services + s.apps + s.dbs + s.clusters + s.servers + s.sites*3 + s.cores + s.gateways + s.models
	if s.sensors = n - fixed; s.sensors < s.gateways {
		// Small fleets: fewer sites, so that every gateway has sensors.
		s.sites = max((n-s.services*16-s.models-1)/25, 1)
		s.cores, s.gateways = 1, s.sites*10
		fixed = s.services*16 + s.sites*3 + s.cores + s.gateways + s.models
		s.sensors = n - fixed
	}
	if s.sensors < s.gateways {
		return fleetShape{}, fmt.Errorf("a fleet needs at least %d CIs", MinFleetCIs)
	}
	return s, nil
}

var (
	fleetModels = []string{"TH-200", "TH-210", "PX-10", "PX-12", "FL-300", "VB-40", "VB-44", "CO2-8", "AQ-5", "LV-70",
		"PR-9", "PR-11", "GM-2", "WM-16", "EM-3", "EM-4", "DR-1", "SM-22", "NX-5", "NX-6"}
	fleetServices = []string{"Metering", "Billing", "Payments", "Field operations", "Customer portal", "Asset tracking",
		"Cold chain", "Leak detection", "Energy monitoring", "Fleet telemetry", "Air quality", "Water network",
		"Building control", "Predictive maintenance", "Alarm centre", "Reporting", "Identity", "Notifications",
		"Data platform", "Partner API"}
	fleetCities = []string{"Lyon", "Porto", "Gdansk", "Malmo", "Ghent", "Turin", "Bilbao", "Leipzig", "Brno", "Cork",
		"Utrecht", "Graz", "Tampere", "Aarhus", "Basel", "Lille", "Valencia", "Bergen", "Kosice", "Split"}
	fleetCountries = []string{"FR", "PT", "PL", "SE", "BE", "IT", "ES", "DE", "CZ", "IE",
		"NL", "AT", "FI", "DK", "CH", "FR", "ES", "NO", "SK", "HR"}
	fleetColumns = []string{"type", "name", "status", "owner", "group", "customer", "location", "redundancy",
		"code", "address", "country", "device_id", "firmware", "ip_address", "site", "model", "installed_on",
		"criterion", "hostname", "serial_number", "os", "cpu_cores", "memory_gb", "virtual", "engine", "version",
		"vendor", "url", "role"}
)

// fleetWriter writes the two files.
type fleetWriter struct {
	names  []string // the business services' names, when given
	rng    *rand.Rand
	cis    *csvsafe.Writer
	rels   *csvsafe.Writer
	rec    []string
	col    map[string]int
	counts FleetCounts
	err    error
}

func (g *fleetWriter) ci(typ, name, location, redundancy string, attrs ...string) {
	for i := range g.rec {
		g.rec[i] = ""
	}
	status := "in_use"
	if typ == "Sensor" {
		switch x := g.rng.IntN(1000); {
		case x < 8:
			status = "maintenance"
		case x < 12:
			status = "planned"
		}
	}
	g.rec[0], g.rec[1], g.rec[2], g.rec[6], g.rec[7] = typ, name, status, location, redundancy
	for i := 0; i+1 < len(attrs); i += 2 {
		g.rec[g.col[attrs[i]]] = attrs[i+1]
	}
	if g.err == nil {
		g.err = g.cis.Write(g.rec)
	}
	g.counts.CIs++
	g.counts.ByType[typ]++
}

func (g *fleetWriter) rel(srcType, srcKey, tgtType, tgtKey string, t RelType) {
	if g.err == nil {
		g.err = g.rels.Write([]string{srcType, srcKey, tgtType, tgtKey, string(t)})
	}
	g.counts.Relationships++
}

// GenerateFleet writes a realistic fleet as a CI file and a relationship
// file in the import's CSV format: business services on applications,
// databases, servers and clusters; sites with their network devices, IoT
// gateways and, for most of the CIs, sensors; and fleet CIs per site and
// per sensor model with percentage rules, on which the services depend
// rather than on each sensor. Sensors depend on their gateway and are
// members of their site's and their model's fleet: about three
// relationships per CI.
func GenerateFleet(spec FleetSpec, cis, rels io.Writer) (FleetCounts, error) {
	shape, err := newFleetShape(spec.CIs, len(spec.Services))
	if err != nil {
		return FleetCounts{}, err
	}
	g := &fleetWriter{names: spec.Services, rng: rand.New(rand.NewPCG(spec.Seed, 0x5eed)), cis: csvsafe.NewWriter(cis), rels: csvsafe.NewWriter(rels),
		rec: make([]string, len(fleetColumns)), col: map[string]int{}, counts: FleetCounts{ByType: map[string]int{}}}
	for i, c := range fleetColumns {
		g.col[c] = i
	}
	g.cis.Write(fleetColumns)
	g.rels.Write(importRelColumns)
	g.services(shape)
	g.sites(shape)
	g.sensors(shape)
	for _, w := range []*csvsafe.Writer{g.cis, g.rels} {
		w.Flush()
		if g.err == nil {
			g.err = w.Error()
		}
	}
	return g.counts, g.err
}

func fleetServiceName(i int) string {
	return fmt.Sprintf("%s %03d", fleetServices[i%len(fleetServices)], i+1)
}

// serviceName names the i-th business service.
func (g *fleetWriter) serviceName(i int) string {
	if i < len(g.names) {
		return g.names[i]
	}
	return fleetServiceName(i)
}

// appName names application a, the (a%3)-th of service a/3: after its
// service when the services were named.
func (g *fleetWriter) appName(a int) string {
	if len(g.names) > 0 {
		return g.names[a/3] + " " + []string{"application", "API", "batch jobs"}[a%3]
	}
	return fmt.Sprintf("app-%03d", a+1)
}

// services writes the data-centre side: services, applications,
// databases, clusters and servers.
func (g *fleetWriter) services(s fleetShape) {
	for c := range s.clusters {
		g.ci("Cluster", fmt.Sprintf("cluster-%03d", c+1), "DC "+fleetCities[c%2], strconv.Itoa(2+g.rng.IntN(3)))
	}
	for v := range s.servers {
		host := fmt.Sprintf("srv-%05d", v+1)
		g.ci("Server", host, "DC "+fleetCities[v%2], "", "hostname", host, "serial_number", fmt.Sprintf("SRV%08d", 7000000+v),
			"ip_address", fmt.Sprintf("10.200.%d.%d", v/250, v%250+1), "os", []string{"Debian 12", "Ubuntu 24.04", "RHEL 9"}[g.rng.IntN(3)],
			"cpu_cores", strconv.Itoa(4<<g.rng.IntN(4)), "memory_gb", strconv.Itoa(16<<g.rng.IntN(4)), "virtual", strconv.FormatBool(g.rng.IntN(4) > 0))
		g.rel("Server", "hostname="+host, "Cluster", fmt.Sprintf("name=cluster-%03d", v/10+1), MemberOf)
	}
	for d := range s.dbs {
		name := fmt.Sprintf("db-%03d", d+1)
		g.ci("Database", name, "", "", "engine", []string{"postgresql", "postgresql", "mysql", "sqlserver"}[g.rng.IntN(4)],
			"version", fmt.Sprintf("%d.%d", 12+g.rng.IntN(5), g.rng.IntN(10)))
		g.rel("Database", "name="+name, "Server", fmt.Sprintf("hostname=srv-%05d", g.rng.IntN(s.servers)+1), RunsOn)
	}
	for a := range s.apps {
		name := g.appName(a)
		g.ci("Application", name, "", "", "version", fmt.Sprintf("%d.%d.%d", 1+g.rng.IntN(5), g.rng.IntN(20), g.rng.IntN(10)),
			"vendor", "in-house", "url", fmt.Sprintf("https://app-%03d.example.net", a+1))
		g.rel("Application", "name="+name, "Cluster", fmt.Sprintf("name=cluster-%03d", a/3+1), RunsOn)
		g.rel("Application", "name="+name, "Database", fmt.Sprintf("name=db-%03d", a/3+1), DependsOn)
	}
	for v := range s.services {
		name := g.serviceName(v)
		g.ci("Business service", name, "", "")
		for k := range 3 {
			g.rel("Business service", "name="+name, "Application", "name="+g.appName(v*3+k), DependsOn)
		}
		m1 := g.rng.IntN(s.models)
		m2 := (m1 + 1 + g.rng.IntN(s.models-1)) % s.models
		for _, m := range []int{m1, m2} {
			g.rel("Business service", "name="+name, "Fleet", "name=Fleet model "+fleetModels[m], DependsOn)
		}
	}
}

// sites writes the sites with their network devices, gateways and fleet
// CIs, and makes a service depend on each site's fleet.
func (g *fleetWriter) sites(s fleetShape) {
	for c := range s.cores {
		g.ci("Network device", fmt.Sprintf("core-router-%02d", c+1), "DC "+fleetCities[c%2], "", "serial_number", fmt.Sprintf("NET%07d", c+1),
			"ip_address", fmt.Sprintf("10.255.0.%d", c+1), "model", "MX204", "role", "router")
	}
	for m := range s.models {
		g.ci("Fleet", "Fleet model "+fleetModels[m], "", "10%", "criterion", "model")
	}
	for i := range s.sites {
		city := fleetCities[i%len(fleetCities)]
		code := fmt.Sprintf("S-%04d", i+1)
		g.ci("Site", fmt.Sprintf("%s %s", city, code), city, "", "code", code,
			"address", fmt.Sprintf("%d Industrial Way, %s", 1+g.rng.IntN(400), city), "country", fleetCountries[i%len(fleetCountries)])
		sw := fmt.Sprintf("NET%07d", 100000+i)
		g.ci("Network device", "switch "+code, city, "", "serial_number", sw, "ip_address", fmt.Sprintf("10.%d.%d.1", 100+i/250, i%250),
			"model", "EX2300", "role", "switch")
		g.rel("Network device", "serial_number="+sw, "Network device", fmt.Sprintf("serial_number=NET%07d", i%s.cores+1), DependsOn)
		g.ci("Fleet", "Fleet site "+code, city, "30%", "criterion", "site")
		g.rel("Business service", "name="+g.serviceName(i%s.services), "Fleet", "name=Fleet site "+code, DependsOn)
		for k := range s.gateways / s.sites {
			gw := i*(s.gateways/s.sites) + k
			id := fmt.Sprintf("GW-%06d", gw+1)
			g.ci("IoT gateway", "gateway "+id, city, "", "device_id", id, "firmware", fmt.Sprintf("4.%d.%d", g.rng.IntN(3), g.rng.IntN(8)),
				"ip_address", fmt.Sprintf("10.%d.%d.%d", gw>>16&255, gw>>8&255, gw&255), "site", "code="+code)
			g.rel("IoT gateway", "device_id="+id, "Network device", "serial_number="+sw, DependsOn)
		}
	}
}

// sensors writes the sensors in blocks per gateway.
func (g *fleetWriter) sensors(s fleetShape) {
	perSite := s.gateways / s.sites
	for n := range s.sensors {
		gw := int(int64(n) * int64(s.gateways) / int64(s.sensors))
		site := gw / perSite
		model := fleetModels[g.rng.IntN(s.models)]
		id := fmt.Sprintf("SN-%07d", n+1)
		key := "device_id=" + id
		g.ci("Sensor", model+" "+id, fleetCities[site%len(fleetCities)], "", "device_id", id, "model", model,
			"firmware", fmt.Sprintf("%d.%d.%d", 1+g.rng.IntN(3), g.rng.IntN(10), g.rng.IntN(20)),
			"installed_on", fmt.Sprintf("%d-%02d-%02d", 2019+g.rng.IntN(7), 1+g.rng.IntN(12), 1+g.rng.IntN(28)))
		g.rel("Sensor", key, "IoT gateway", fmt.Sprintf("device_id=GW-%06d", gw+1), DependsOn)
		g.rel("Sensor", key, "Fleet", fmt.Sprintf("name=Fleet site S-%04d", site+1), MemberOf)
		g.rel("Sensor", key, "Fleet", "name=Fleet model "+model, MemberOf)
	}
}
