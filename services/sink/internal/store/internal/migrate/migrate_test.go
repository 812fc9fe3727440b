package migrate_test

import (
	"errors"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/newsflow/newsflow/services/sink/internal/store/internal/migrate"
)

func files(names ...string) fstest.MapFS {
	fs := fstest.MapFS{}
	for _, n := range names {
		fs["m/"+n] = &fstest.MapFile{Data: []byte("-- " + n)}
	}
	return fs
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name string
		fs   fstest.MapFS
		want []int // versions; nil when Load must fail
	}{
		{"ordered by number", files("0002_b.sql", "0001_a.sql", "0003_c.sql"), []int{1, 2, 3}},
		{"other files ignored", files("0001_a.sql", "README.md"), []int{1}},
		{"gap", files("0001_a.sql", "0003_c.sql"), nil},
		{"same version twice", files("0001_a.sql", "0001_b.sql"), nil},
		{"not starting at 1", files("0002_b.sql"), nil},
		{"bad name", files("0001_a.sql", "2_b.sql"), nil},
		{"upper case", files("0001_Init.sql"), nil},
		{"none", files("README.md"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := migrate.Load(tt.fs, "m")
			if tt.want == nil {
				if !errors.Is(err, migrate.ErrBadMigrations) {
					t.Fatalf("Load = %v, %v; want ErrBadMigrations", ms, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, m := range ms {
				got = append(got, m.Version)
				if m.SQL != "-- "+m.Name {
					t.Errorf("%s has SQL %q", m.Name, m.SQL)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("versions = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLoadMissingDir(t *testing.T) {
	if _, err := migrate.Load(fstest.MapFS{}, "nowhere"); err == nil {
		t.Fatal("Load of a missing directory succeeded")
	}
}

func TestPending(t *testing.T) {
	ms, err := migrate.Load(files("0001_a.sql", "0002_b.sql", "0003_c.sql"), "m")
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, m := range migrate.Pending(ms, map[int]bool{1: true, 3: true, 7: true}) {
		got = append(got, m.Version)
	}
	if !slices.Equal(got, []int{2}) {
		t.Errorf("Pending = %v, want [2]", got)
	}
}

// FuzzLoad parses arbitrary file names: Load must not panic, and what it
// accepts must be numbered 1..n in order.
func FuzzLoad(f *testing.F) {
	f.Add("0001_a.sql", "0002_b.sql")
	f.Add("0001_a.sql", "0001_a.sql.bak")
	f.Add("9999_z.sql", "x.sql")
	f.Fuzz(func(t *testing.T, a, b string) {
		ms, err := migrate.Load(files(a, b), "m")
		if err != nil {
			return
		}
		for i, m := range ms {
			if m.Version != i+1 {
				t.Fatalf("Load(%q, %q) = versions out of order: %+v", a, b, ms)
			}
		}
	})
}
