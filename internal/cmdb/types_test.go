package cmdb_test

import (
	"errors"
	"strconv"
	"testing"

	"steward/internal/cmdb"
	"steward/internal/domainerr"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

func attrs(a ...cmdb.Attribute) *[]cmdb.Attribute { return &a }

func TestCITypes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFixture(t, e)
		types, err := f.svc.ListTypes(f.ctx)
		if err != nil || len(types) != 11 || types[0].Name != "Application" || !types[0].Builtin {
			t.Fatalf("default types: %d %v", len(types), err)
		}
		srv, err := f.svc.GetType(f.ctx, "SERVER")
		if err != nil || srv.Name != "Server" {
			t.Fatalf("by name: %v %v", srv, err)
		}
		if byID, err := f.svc.GetType(f.ctx, strconv.FormatInt(srv.ID, 10)); err != nil || byID.ID != srv.ID {
			t.Fatalf("by id: %v", err)
		}
		if _, err := f.svc.GetType(f.ctx, "Toaster"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown: %v", err)
		}

		_, err = f.svc.CreateType(f.ctx, f.actor, cmdb.NewCIType{Name: "42", Attributes: []cmdb.Attribute{
			{Name: "Serial", Type: cmdb.AttrString},
			{Name: "uplink", Type: cmdb.AttrReference, RefType: "Switchboard"},
			{Name: "kind", Type: "colour"},
			{Name: "mode", Type: cmdb.AttrEnum},
		}})
		wantFields(t, err, map[string]string{"name": "number", "attributes[0].name": "lower-case", "attributes[1].ref_type": "Switchboard",
			"attributes[2].type": "string, number", "attributes[3].values": "at least one"})

		rt, err := f.svc.CreateType(f.ctx, f.actor, cmdb.NewCIType{Name: " Router ", Description: "Routes.", Attributes: []cmdb.Attribute{
			{Name: "serial", Type: cmdb.AttrString, Unique: true},
			{Name: "ports", Type: cmdb.AttrNumber},
			{Name: "site", Type: cmdb.AttrReference, RefType: "site"},
			{Name: "peer", Type: cmdb.AttrReference, RefType: "ROUTER"},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if rt.Name != "Router" || rt.Builtin || rt.Attributes[2].RefType != "Site" || rt.Attributes[3].RefType != "Router" || rt.Version != 1 {
			t.Fatalf("created: %+v", rt)
		}
		_, err = f.svc.CreateType(f.ctx, f.actor, cmdb.NewCIType{Name: "ROUTER"})
		wantFields(t, err, map[string]string{"name": "already exists"})

		// Renaming a type follows into the references of other types.
		name := "Location"
		if _, err := f.svc.UpdateType(f.ctx, f.actor, "Site", cmdb.CITypePatch{Name: &name}, 0); err != nil {
			t.Fatal(err)
		}
		gw, _ := f.svc.GetType(f.ctx, "IoT gateway")
		rt, _ = f.svc.GetType(f.ctx, "Router")
		if a, _ := gw.Attr("site"); a.RefType != "Location" || rt.Attributes[2].RefType != "Location" || rt.Version != 2 {
			t.Fatalf("references after the rename: %+v / %+v", gw.Attributes, rt.Attributes)
		}
		if _, err := f.svc.UpdateType(f.ctx, f.actor, "Router", cmdb.CITypePatch{Name: &name}, 0); err == nil {
			t.Fatal("a second type named Location")
		}
		if _, err := f.svc.UpdateType(f.ctx, f.actor, "Router", cmdb.CITypePatch{Name: &name}, 1); !errors.Is(err, domainerr.ErrStale) {
			t.Fatalf("stale: %v", err)
		}

		err = f.svc.DeleteType(f.ctx, f.actor, "Server", 0)
		wantConflict(t, err, "built in")
		err = f.svc.DeleteType(f.ctx, f.actor, "Location", 0)
		wantConflict(t, err, "built in")
		empty, _ := f.svc.CreateType(f.ctx, f.actor, cmdb.NewCIType{Name: "Printer"})
		if err := f.svc.DeleteType(f.ctx, f.actor, "printer", 0); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.GetType(f.ctx, empty.Name); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted type: %v", err)
		}
		r1 := f.ci(cmdb.NewCI{Type: "Router", Name: "r1", Attributes: map[string]any{"serial": "S1"}})
		wantConflict(t, f.svc.DeleteType(f.ctx, f.actor, "Router", 0), "1 CIs")
		ref, _ := f.svc.CreateType(f.ctx, f.actor, cmdb.NewCIType{Name: "Patch panel",
			Attributes: []cmdb.Attribute{{Name: "router", Type: cmdb.AttrReference, RefType: "Router"}}})
		if err := f.svc.DeleteCI(f.ctx, f.actor, r1.ID, 0, ""); err != nil {
			t.Fatal(err)
		}
		wantConflict(t, f.svc.DeleteType(f.ctx, f.actor, "Router", 0), "Patch panel")
		if err := f.svc.DeleteType(f.ctx, f.actor, ref.Name, 0); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.DeleteType(f.ctx, f.actor, "Router", 0); err != nil {
			t.Fatalf("a type nothing uses: %v", err)
		}
	})
}

// Changing a type's attributes never leaves its CIs invalid: the change
// is refused while CIs disagree, and values that only change form are
// rewritten with history.
func TestCITypeAttributeChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		f := newFixture(t, e)
		if _, err := f.svc.CreateType(f.ctx, f.actor, cmdb.NewCIType{Name: "Router", Attributes: []cmdb.Attribute{
			{Name: "serial", Type: cmdb.AttrString, Unique: true},
			{Name: "ports", Type: cmdb.AttrNumber},
			{Name: "model", Type: cmdb.AttrString},
			{Name: "uplink", Type: cmdb.AttrReference},
		}}); err != nil {
			t.Fatal(err)
		}
		site := f.ci(cmdb.NewCI{Type: "Site", Name: "HQ", Attributes: map[string]any{"code": "HQ"}})
		srv := f.server("s", "s", nil)
		r1 := f.ci(cmdb.NewCI{Type: "Router", Name: "r1", Attributes: map[string]any{"serial": "S1", "ports": 8, "model": "X", "uplink": site.ID}})
		r2 := f.ci(cmdb.NewCI{Type: "Router", Name: "r2", Attributes: map[string]any{"model": "X", "uplink": srv.ID}})
		base := []cmdb.Attribute{
			{Name: "serial", Type: cmdb.AttrString, Unique: true},
			{Name: "ports", Type: cmdb.AttrNumber},
			{Name: "model", Type: cmdb.AttrString},
			{Name: "uplink", Type: cmdb.AttrReference},
		}
		with := func(i int, a cmdb.Attribute) *[]cmdb.Attribute {
			out := append([]cmdb.Attribute(nil), base...)
			if i >= len(out) {
				return attrs(append(out, a)...)
			}
			if a.Name == "" {
				return attrs(append(out[:i], out[i+1:]...)...)
			}
			out[i] = a
			return attrs(out...)
		}
		for _, c := range []struct {
			name  string
			attrs *[]cmdb.Attribute
			frags []string
		}{
			{"remove an attribute with values", with(1, cmdb.Attribute{}), []string{`"ports"`, "still hold a value", "r1 (#"}},
			{"make one required", with(0, cmdb.Attribute{Name: "serial", Type: cmdb.AttrString, Unique: true, Required: true}), []string{"r2", "no value"}},
			{"add a required one", with(4, cmdb.Attribute{Name: "rack", Type: cmdb.AttrString, Required: true}), []string{`"rack"`, "2 CIs"}},
			{"make one unique with repeats", with(2, cmdb.Attribute{Name: "model", Type: cmdb.AttrString, Unique: true}), []string{"repeat", `"X"`}},
			{"retype what does not convert", with(2, cmdb.Attribute{Name: "model", Type: cmdb.AttrNumber}), []string{"would not accept", "number"}},
			{"narrow an enum", with(2, cmdb.Attribute{Name: "model", Type: cmdb.AttrEnum, Values: []string{"Y"}}), []string{"not one of"}},
			{"restrict a reference", with(3, cmdb.Attribute{Name: "uplink", Type: cmdb.AttrReference, RefType: "Site"}), []string{"r2", `"Site"`}},
		} {
			t.Run(c.name, func(t *testing.T) {
				_, err := f.svc.UpdateType(f.ctx, f.actor, "Router", cmdb.CITypePatch{Attributes: c.attrs}, 0)
				wantConflict(t, err, c.frags...)
			})
		}
		rt, _ := f.svc.GetType(f.ctx, "Router")
		if rt.Version != 1 {
			t.Fatalf("refused changes changed the type: %+v", rt)
		}

		// Allowed: an optional attribute added, ports turned into text, model made an enum holding X.
		next := with(4, cmdb.Attribute{Name: "rack", Type: cmdb.AttrString})
		(*next)[1] = cmdb.Attribute{Name: "ports", Type: cmdb.AttrString}
		(*next)[2] = cmdb.Attribute{Name: "model", Type: cmdb.AttrEnum, Values: []string{"X", "Y"}}
		rt, err := f.svc.UpdateType(f.ctx, f.actor, "Router", cmdb.CITypePatch{Attributes: next}, 1)
		if err != nil || rt.Version != 2 || len(rt.Attributes) != 5 {
			t.Fatalf("allowed change: %+v %v", rt, err)
		}
		got, _ := f.svc.GetCI(f.ctx, r1.ID)
		if got.Attributes["ports"] != "8" || got.Version != 2 {
			t.Fatalf("ports rewritten as text: %+v", got)
		}
		if h := f.history(r1.ID); h[0].Field != "attributes.ports" || str(h[0].New) != "8" {
			t.Fatalf("rewrite history: %+v", h[0])
		}
		if got, _ := f.svc.GetCI(f.ctx, r2.ID); got.Version != 1 {
			t.Fatalf("r2 had no ports and must not change: %+v", got)
		}

		// Unique once values no longer repeat: the identifier index fills.
		model := "Y"
		if _, err := f.svc.UpdateCI(f.ctx, f.actor, r2.ID, cmdb.CIPatch{Attributes: map[string]any{"model": model}}, 0); err != nil {
			t.Fatal(err)
		}
		(*next)[2].Unique = true
		if _, err := f.svc.UpdateType(f.ctx, f.actor, "Router", cmdb.CITypePatch{Attributes: next}, 0); err != nil {
			t.Fatal(err)
		}
		if c, err := cmdb.FindByIdentifier(f.ctx, f.db, rt.ID, "model", "Y"); err != nil || c.ID != r2.ID {
			t.Fatalf("identifier index after making model unique: %v %v", c, err)
		}
		_, err = f.svc.CreateCI(f.ctx, f.actor, cmdb.NewCI{Type: "Router", Name: "r3", Attributes: map[string]any{"model": "Y"}}, nil)
		wantFields(t, err, map[string]string{"attributes.model": "r2"})

		// Not unique any more: the index empties, repeats are fine.
		(*next)[0].Unique = false
		if _, err := f.svc.UpdateType(f.ctx, f.actor, "Router", cmdb.CITypePatch{Attributes: next}, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := cmdb.FindByIdentifier(f.ctx, f.db, rt.ID, "serial", "S1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("serial is no longer an identifier: %v", err)
		}
		f.ci(cmdb.NewCI{Type: "Router", Name: "r4", Attributes: map[string]any{"serial": "S1"}})
	})
}
