package cmdb

import (
	"bytes"
	"testing"
)

// importFuzzRead reads every record of a file as an import would, and
// checks what a user relies on in the report: every problem and every
// record is named by a line of the file, in file order.
func importFuzzRead(t *testing.T, data []byte, format DataFormat, file string) {
	lines := bytes.Count(data, []byte{'\n'}) + 1
	bad := func(line int, field, msg string) {
		if line < 1 || line > lines || msg == "" {
			t.Fatalf("problem on line %d of %d: %q %q", line, lines, field, msg)
		}
	}
	rd, _, err := importOpen(bytes.NewReader(data), format, file, bad)
	if err != nil || rd == nil {
		return
	}
	last := 0
	for n := 0; ; n++ {
		rec, ok, err := rd.next()
		if err != nil || !ok {
			return
		}
		if rec.line < last || rec.line < 1 || rec.line > lines {
			t.Fatalf("record %d on line %d after line %d, of %d lines", n, rec.line, last, lines)
		}
		last = rec.line
		for _, f := range rec.fields {
			if f.name == "" || f.label == "" {
				t.Fatalf("line %d: a field without a name: %+v", rec.line, f)
			}
		}
	}
}

func FuzzImportCSV(f *testing.F) {
	for _, s := range []string{
		"type,name,status,code,device_id,site\nSite,Lyon plant,in_use,S-1,,\nIoT gateway,gw one,in_use,,GW-1,code=S-1\n",
		"\xef\xbb\xbftype,name,attr.name\nSite,\"Lyon, \"\"the\"\" plant\",x\n",
		"type,name\nSite,\"Lyon\nplant\"\nSite,Ly\"on\n",
		"type,name,code\nSite,Lyon,in_use,S-1\nSite,Z\xfcrich,S-2\n",
		"source_type,source_key,target_type,target_key,type\nSensor,device_id=SN-1,IoT gateway,device_id=GW-1,depends_on\n",
		"\xff\xfet\x00y\x00", "", "type,,name,name\n",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, rels bool) {
		file := fileCIs
		if rels {
			file = fileRels
		}
		importFuzzRead(t, data, FormatCSV, file)
	})
}

func FuzzImportJSON(f *testing.F) {
	for _, s := range []string{
		`[{"type": "Site", "name": "Lyon", "attributes": {"code": "S-1"}}, {"type": "Cluster", "name": "pool", "redundancy": {"failed_when_down": 2}}]`,
		"{\"type\": \"Site\", \"name\": \"x\"}\n{\"type\": \"Site\", \"name\": \"y\",\n",
		`{"cis": [{"type": "Cluster", "name": "pool"}], "relationships": [{"source_id": 1, "target_id": 2, "type": "member_of"}]}`,
		`{"relationships": [], "other": 1}`,
		`[1, "two", null, {"attributes": [1]}]`,
		"[{\"name\": \"\xff\"}]", "", "   ", `{"cis": {}}`, `[]]`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, rels bool) {
		file := fileCIs
		if rels {
			file = fileRels
		}
		importFuzzRead(t, data, FormatJSON, file)
	})
}
