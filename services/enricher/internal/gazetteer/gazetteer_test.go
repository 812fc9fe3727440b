package gazetteer

import (
	"strings"
	"testing"
)

var gz = MustLoad()

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"U.S.", "us"},
		{"al-Qaeda", "al qaeda"},
		{"Washington, D.C.", "washington dc"},
		{"Türkiye", "turkiye"},
		{"Łódź", "lodz"},
		{"Moscow’s", "moscow's"},
		{"  New   York ", "new york"},
		{"AT&T", "at&t"},
		{"...", ""},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
		h1, _ := PhraseHash(tt.in)
		h2, _ := PhraseHash(tt.want)
		if h1 != h2 {
			t.Errorf("PhraseHash(%q) != PhraseHash(%q)", tt.in, tt.want)
		}
	}
}

func TestCountry(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Russia", "RU"},
		{"the United States", "US"},
		{"U.S.", "US"},
		{"US", "US"},
		{"UK", "GB"},
		{"Britain", "GB"},
		{"Turkey", "TR"},
		{"Afghanistan", "AF"},
	}
	for _, tt := range tests {
		c, ok := gz.Country(tt.in)
		if !ok || c.Code != tt.want {
			t.Errorf("Country(%q) = %+v, %v; want %s", tt.in, c, ok, tt.want)
		}
	}
	for _, in := range []string{"Washington", "Moscow", "Lavrov", ""} {
		if c, ok := gz.Country(in); ok {
			t.Errorf("Country(%q) = %+v, want none", in, c)
		}
	}
	if c, ok := gz.CountryByCode("af"); !ok || c.Name != "Afghanistan" || c.Capital != "Kabul" {
		t.Errorf("CountryByCode(af) = %+v, %v", c, ok)
	}
}

func TestDemonym(t *testing.T) {
	for in, want := range map[string]string{"Afghan": "AF", "Russian": "RU", "Chinese": "CN", "Pakistani": "PK"} {
		c, ok := gz.CountryByDemonym(in)
		if !ok || c.Code != want {
			t.Errorf("CountryByDemonym(%q) = %+v, %v; want %s", in, c, ok, want)
		}
	}
	if c, ok := gz.CountryByDemonym("European"); ok {
		t.Errorf("CountryByDemonym(European) = %+v, want none", c)
	}
}

func TestCity(t *testing.T) {
	tests := []struct{ in, country, feature string }{
		{"Moscow", "RU", "PPLC"},
		{"Kabul", "AF", "PPLC"},
		{"Washington", "US", "PPLC"}, // the capital wins over smaller Washingtons
		{"London", "GB", "PPLC"},
		{"Paris", "FR", "PPLC"},
	}
	for _, tt := range tests {
		c, ok := gz.City(tt.in)
		if !ok || c.Country != tt.country || c.Feature != tt.feature {
			t.Errorf("City(%q) = %+v, %v; want %s %s", tt.in, c, ok, tt.country, tt.feature)
		}
	}
	if cs := gz.Cities("London"); len(cs) < 2 {
		t.Errorf("Cities(London) = %d readings, want several", len(cs))
	}
}

func TestClasses(t *testing.T) {
	tests := []struct {
		in   string
		want Class
	}{
		{"Russia", Country},
		{"Moscow", Capital | City | BigCity},
		{"United Nations", Organization},
		{"Afghan", Demonym},
		{"Sergey", PersonName},
		{"Mr", Honorific},
	}
	for _, tt := range tests {
		if got := gz.Classes(tt.in); got&tt.want != tt.want {
			t.Errorf("Classes(%q) = %v, want at least %v", tt.in, got, tt.want)
		}
	}
	if got := gz.Classes("zzqx"); got != 0 {
		t.Errorf("Classes(zzqx) = %v, want none", got)
	}
}

func TestMatcherLongest(t *testing.T) {
	words := strings.Fields("the United States of America and al-Qaeda in Washington , D.C. today")
	m := gz.Matcher(words)
	tests := []struct {
		i, n int
		c    Class
	}{
		{1, 4, Country},      // United States of America
		{6, 1, Organization}, // al-Qaeda = "al qaeda"
		{8, 3, Capital},      // Washington , D.C.
		{0, 0, 0},
	}
	for _, tt := range tests {
		n, c := m.Longest(tt.i)
		if n != tt.n || c&tt.c != tt.c {
			t.Errorf("Longest(%d %q) = %d, %v; want %d, %v", tt.i, words[tt.i], n, c, tt.n, tt.c)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"X\tfoo\n", "C\tRU\tRussia\n", "T\tMoscow\tRU\tPPLC\tmany\n", "L\tfoo\tNoSuchTag\n", ""} {
		if _, err := Parse(strings.NewReader(in)); err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", in)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	f.Add("Washington, D.C.")
	f.Add("Łódź al-Qaeda U.S. ’s")
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if Normalize(n) != n {
			t.Fatalf("Normalize is not idempotent on %q: %q -> %q", s, n, Normalize(n))
		}
		h1, w1 := PhraseHash(s)
		h2, w2 := PhraseHash(n)
		if h1 != h2 || w1 != w2 {
			t.Fatalf("PhraseHash(%q) = %x/%d, PhraseHash(Normalize) = %x/%d", s, h1, w1, h2, w2)
		}
	})
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := Load(); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("C\tRU\tRussia\tRussian Federation\tMoscow\tAsia\nD\tRU\tRussian\nT\tMoscow\tRU\tPPLC\t100\nL\tun\tOrganization\nP\tSergey\n")
	f.Add("# comment\nC\tXX\tX\t\t\t\n")
	f.Fuzz(func(t *testing.T, s string) {
		g, err := Parse(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, c := range g.Countries() {
			if got, ok := g.CountryByCode(c.Code); !ok || got.Code != c.Code {
				t.Fatalf("country %q not found by its code", c.Code)
			}
		}
		words := strings.Fields(s)
		m := g.Matcher(words)
		for i := range words {
			if n, _ := m.Longest(i); i+n > len(words) {
				t.Fatalf("match of %d words at %d runs past %d words", n, i, len(words))
			}
		}
	})
}
