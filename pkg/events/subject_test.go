package events_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/newsflow/newsflow/pkg/events"
)

func TestToken(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"reuters", "reuters"},
		{"", "_"},
		{"news.example.com", "news_example_com"},
		{"*", "_"},
		{">", "_"},
		{"a.*.>", "a____"},
		{"two words", "two_words"},
		{"tab\tnewline\ncr\r", "tab_newline_cr_"},
		{"nbsp\u00a0ideographic\u3000space", "nbsp_ideographic_space"},
		{"nul\x00del\x7f", "nul_del_"},
		{"Москва", "Москва"},
		{"北京-news_2", "北京-news_2"},
		{"café:fr", "café:fr"},
		{"bad\xffutf8", "bad\ufffdutf8"},
	} {
		got := events.Token(c.in)
		if got != c.want {
			t.Errorf("Token(%q) = %q, want %q", c.in, got, c.want)
		}
		if !validToken(got) {
			t.Errorf("Token(%q) = %q is not one subject token", c.in, got)
		}
	}
}

// validToken is what NATS needs of a token: non-empty, no separator, no
// wildcard, no white space; and what headers and logs need: UTF-8.
func validToken(s string) bool {
	return s != "" && utf8.ValidString(s) && !strings.ContainsAny(s, ".*> \t\r\n\u00a0")
}

func TestSlug(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Sergey Lavrov", "sergey-lavrov"},
		{"United Nations", "united-nations"},
		{"Türkiye", "turkiye"},
		{"São Paulo", "sao-paulo"},
		{"U.S.", "u-s"},
		{"U.S. State Department", "u-s-state-department"},
		{"O'Brien", "obrien"},
		{"Ladens’s", "ladenss"},
		{"  leading and trailing  ", "leading-and-trailing"},
		{"a.b*c>d", "a-b-c-d"},
		{"9/11", "9-11"},
		{"G20", "g20"},
		{"Ｆｕｌｌｗｉｄｔｈ", "fullwidth"},
		{"Москва", "москва"},
		{"北京", "北京"},
		{"İstanbul", "istanbul"},
		{"Łódź", "łodz"},
		{"", ""},
		{"...", ""},
		{"🙂", ""},
	} {
		got := events.Slug(c.in)
		if got != c.want {
			t.Errorf("Slug(%q) = %q, want %q", c.in, got, c.want)
		}
		if got != "" && events.Token(got) != got {
			t.Errorf("Slug(%q) = %q is not a clean subject token", c.in, got)
		}
		if events.Slug(got) != got {
			t.Errorf("Slug is not idempotent on %q", got)
		}
	}
}

func TestEntityKey(t *testing.T) {
	for _, c := range []struct{ typ, name, want string }{
		{events.TypeLocation, "Russia", "location:russia"},
		{events.TypePerson, "Sergey Lavrov", "person:sergey-lavrov"},
		{events.TypeOrganization, "United Nations", "organization:united-nations"},
		{events.TypeMisc, "9/11", "misc:9-11"},
		{events.TypeLocation, "Türkiye", "location:turkiye"},
		{events.TypePerson, "...", "person:"}, // no slug: Validate refuses such an entity
	} {
		if got := events.EntityKey(c.typ, c.name); got != c.want {
			t.Errorf("EntityKey(%q, %q) = %q, want %q", c.typ, c.name, got, c.want)
		}
	}
	// Spelling variants of one name share a key.
	if events.EntityKey(events.TypeLocation, "TÜRKİYE") != events.EntityKey(events.TypeLocation, "Turkiye") {
		t.Error("case and accents should not change the key")
	}
}

func TestSubjects(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{events.RawSubject("reuters"), "news.raw.reuters"},
		{events.RawSubject("news.example.com"), "news.raw.news_example_com"},
		{events.RawSubject(""), "news.raw._"},
		{events.EnrichedSubject("reuters"), "news.enriched.reuters"},
		{events.EnrichedSubject("my feed>"), "news.enriched.my_feed_"},
		{events.DLQSubject("enricher"), "news.dlq.enricher"},
		{events.DLQSubject("a.b"), "news.dlq.a_b"},
		{events.MentionSubject(events.TypeLocation, "location:russia"), "news.mentions.location.russia"},
		{events.MentionSubject(events.TypePerson, "person:sergey-lavrov"), "news.mentions.person.sergey-lavrov"},
		{events.MentionSubject(events.TypeLocation, "russia"), "news.mentions.location.russia"},
		{events.MentionSubject(events.TypeMisc, "misc:a:b"), "news.mentions.misc.a:b"},
		{events.MentionSubject(events.TypeMisc, "misc:"), "news.mentions.misc._"},
		{events.MentionSubject("odd type", "x:y.z"), "news.mentions.odd_type.y_z"},
		{events.MentionSubject(events.TypeLocation, events.EntityKey(events.TypeLocation, "São Paulo")), "news.mentions.location.sao-paulo"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	// Every subject falls under its stream's wildcard and has the documented token count.
	for _, c := range []struct {
		subject, all string
		tokens       int
	}{
		{events.RawSubject("a.b c"), events.SubjectRawAll, 3},
		{events.EnrichedSubject("*"), events.SubjectEnrichedAll, 3},
		{events.MentionSubject("a.b", "a.b:c.d"), events.SubjectMentionsAll, 4},
		{events.DLQSubject(">"), events.SubjectDLQAll, 3},
	} {
		if !strings.HasPrefix(c.subject, strings.TrimSuffix(c.all, ">")) {
			t.Errorf("%q is outside %q", c.subject, c.all)
		}
		if n := len(strings.Split(c.subject, ".")); n != c.tokens {
			t.Errorf("%q has %d tokens, want %d", c.subject, n, c.tokens)
		}
		if strings.ContainsAny(c.subject, "*> ") {
			t.Errorf("%q holds a wildcard or a space", c.subject)
		}
	}
}

func TestMentionSubjectMatchesMentions(t *testing.T) {
	// A consumer following one entity uses news.mentions.<type>.<slug>: the
	// subject of every mention event of the fixture must be exactly that.
	e := fixtureEnriched(t)
	for _, m := range e.Mentions() {
		got := events.MentionSubject(m.Entity.Type, m.Entity.Key)
		want := "news.mentions." + m.Entity.Type + "." + events.Slug(m.Entity.Name)
		if got != want {
			t.Errorf("%s: subject %q, want %q", m.Entity.Key, got, want)
		}
	}
}
