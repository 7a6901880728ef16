package infosec

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"steward/internal/auth"
	"steward/internal/cmdb"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// MaxSample is how many exposed devices an advisory lists by default.
const MaxSample = 50

// ExposedDevice is a CI whose product and version an advisory affects.
type ExposedDevice struct {
	CIID    int64  `json:"ci_id"`
	Name    string `json:"name"`
	Type    string `json:"type"`
	Product string `json:"product"`
	Version string `json:"version"`
}

// ExposedService is a business service that depends, directly or through
// other CIs, on exposed devices.
type ExposedService struct {
	CIID int64  `json:"ci_id"`
	Name string `json:"name"`
	// Worst is the highest severity of the advisories that reach it.
	Worst      string   `json:"worst"`
	Advisories []string `json:"advisories"`
}

// AdvisoryExposure is an advisory with what it exposes.
type AdvisoryExposure struct {
	Advisory
	DeviceCount int              `json:"device_count"`
	Devices     []ExposedDevice  `json:"devices"` // the first MaxSample, or all when asked
	Services    []ExposedService `json:"services"`
}

// Exposure is the whole picture: each advisory with its devices and
// services, and the services exposed by any of them.
type Exposure struct {
	Advisories []AdvisoryExposure `json:"advisories"`
	Devices    int                `json:"devices"` // distinct exposed CIs
	Services   []ExposedService   `json:"services"`
}

// deviceIdentity is how a CI names its product and version: the model (or
// product) attribute, else its type's name; the firmware attribute, else
// the version attribute.
func deviceIdentity(typeName string, attrs map[string]any) (product, version string) {
	str := func(k string) string {
		if v, ok := attrs[k]; ok && v != nil {
			return strings.TrimSpace(fmt.Sprint(v))
		}
		return ""
	}
	product = str("model")
	if product == "" {
		product = str("product")
	}
	if product == "" {
		product = typeName
	}
	version = str("firmware")
	if version == "" {
		version = str("version")
	}
	return product, version
}

// Exposure matches every CI in use with a firmware or version attribute
// against the advisories, and follows the CMDB's impact analysis from the
// exposed CIs to the business services that depend on them. With
// advisoryID other than 0 only that advisory is matched and all its
// devices are listed.
func (s *Service) Exposure(ctx context.Context, p *auth.Principal, advisoryID int64) (Exposure, error) {
	if !p.Can(PermExposure) {
		return Exposure{}, domainerr.ErrForbidden
	}
	all, err := advisories(ctx, s.DB)
	if err != nil {
		return Exposure{}, err
	}
	if advisoryID != 0 {
		all = slices.DeleteFunc(all, func(a Advisory) bool { return a.ID != advisoryID })
		if len(all) == 0 {
			return Exposure{}, store.ErrNotFound
		}
	}
	out := Exposure{Advisories: make([]AdvisoryExposure, len(all)), Services: []ExposedService{}}
	byProduct := map[string][]int{}
	ranges := make([][]versionRange, len(all))
	for i, a := range all {
		out.Advisories[i] = AdvisoryExposure{Advisory: a, Devices: []ExposedDevice{}, Services: []ExposedService{}}
		key := strings.ToLower(a.Product)
		byProduct[key] = append(byProduct[key], i)
		ranges[i], _ = parseAffected(a.Affected) // checked on import
	}
	ids := make([][]int64, len(all))
	exposed := map[int64]bool{}
	// A fleet repeats a few products and versions over many devices: each
	// pair is matched against the advisories once.
	matched := map[[2]string][]int{}
	err = matchDevices(ctx, s.DB, func(d ExposedDevice) {
		key := [2]string{strings.ToLower(d.Product), d.Version}
		hits, ok := matched[key]
		if !ok {
			for _, i := range byProduct[key[0]] {
				if contains(ranges[i], d.Version) {
					hits = append(hits, i)
				}
			}
			matched[key] = hits
		}
		for _, i := range hits {
			ae := &out.Advisories[i]
			ae.DeviceCount++
			if advisoryID != 0 || len(ae.Devices) < MaxSample {
				ae.Devices = append(ae.Devices, d)
			}
			if len(ids[i]) < cmdb.MaxInput {
				ids[i] = append(ids[i], d.CIID)
			}
			exposed[d.CIID] = true
		}
	})
	if err != nil {
		return Exposure{}, err
	}
	out.Devices = len(exposed)
	services := map[int64]*ExposedService{}
	var reached [][]cmdb.ImpactItem
	if s.CMDB != nil && len(exposed) > 0 {
		// One walk for every advisory: each reached service knows which
		// advisories' devices reach it.
		if reached, err = s.CMDB.ServicesImpactedByGroups(ctx, ids); err != nil {
			return Exposure{}, err
		}
	}
	for i, found := range reached {
		a := &out.Advisories[i]
		for _, it := range found {
			sv := services[it.CIID]
			if sv == nil {
				sv = &ExposedService{CIID: it.CIID, Name: it.Name, Worst: a.Severity, Advisories: []string{}}
				services[it.CIID] = sv
			}
			if slices.Index(Severities, a.Severity) > slices.Index(Severities, sv.Worst) {
				sv.Worst = a.Severity
			}
			sv.Advisories = append(sv.Advisories, a.Ref)
			a.Services = append(a.Services, ExposedService{CIID: it.CIID, Name: it.Name, Worst: a.Severity, Advisories: []string{a.Ref}})
		}
	}
	for _, sv := range services {
		out.Services = append(out.Services, *sv)
	}
	slices.SortFunc(out.Services, func(a, b ExposedService) int {
		if c := slices.Index(Severities, b.Worst) - slices.Index(Severities, a.Worst); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// matchDevices streams the CIs in use that carry a firmware or version.
func matchDevices(ctx context.Context, q store.Querier, each func(ExposedDevice)) error {
	rows, err := q.Query(ctx, `SELECT c.id, c.name, t.name, c.attributes FROM cis c JOIN ci_types t ON t.id = c.type_id
		WHERE c.status <> 'retired' AND (c.attributes LIKE '%"firmware"%' OR c.attributes LIKE '%"version"%') ORDER BY c.id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var d ExposedDevice
		var raw string
		if err := rows.Scan(&d.CIID, &d.Name, &d.Type, &raw); err != nil {
			return err
		}
		var attrs map[string]any
		if json.Unmarshal([]byte(raw), &attrs) != nil {
			continue
		}
		d.Product, d.Version = deviceIdentity(d.Type, attrs)
		if d.Version != "" {
			each(d)
		}
	}
	return rows.Err()
}
