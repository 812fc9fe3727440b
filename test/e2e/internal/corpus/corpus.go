// Package corpus generates the deterministic news articles the end-to-end
// tests feed through the pipeline: article n is always the same text, so a
// test knows exactly what was offered and can check what was stored.
//
// Each article carries its serial number in its title ("... (report 42)")
// and in its body, so titles, bodies and content hashes are unique.
package corpus

import (
	"fmt"
	"html"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Article is one generated article.
type Article struct {
	N         int
	Title     string
	Byline    string
	Published time.Time // midnight UTC
	// Paragraphs of the body, each a few sentences.
	Paragraphs []string
}

// Body is the article text: its paragraphs separated by blank lines.
func (a Article) Body() string { return strings.Join(a.Paragraphs, "\n\n") }

// Epoch is the publication date of article 0; article n is n/50 days later.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

var (
	people = []string{
		"Angela Merkel", "Emmanuel Macron", "Olaf Scholz", "Keir Starmer", "Ursula von der Leyen",
		"Antonio Guterres", "Narendra Modi", "Luiz Inacio Lula da Silva", "Justin Trudeau",
		"Jacinda Ardern", "Cyril Ramaphosa", "Fumio Kishida", "Pedro Sanchez", "Giorgia Meloni",
		"Volodymyr Zelensky", "Sergey Lavrov", "Christine Lagarde", "Jerome Powell",
	}
	orgs = []string{
		"the United Nations", "the European Union", "NATO", "the World Health Organization",
		"the International Monetary Fund", "the World Bank", "Greenpeace", "Siemens", "Toyota",
		"Microsoft", "the European Central Bank", "the Red Cross", "Amnesty International",
		"the African Union", "Reuters",
	}
	places = []string{
		"Berlin", "Paris", "London", "Madrid", "Rome", "Brussels", "Tokyo", "Nairobi", "Ottawa",
		"Canberra", "Germany", "France", "Brazil", "Canada", "India", "Japan", "Kenya", "Spain",
		"Italy", "Ukraine", "South Africa", "Mexico",
	}
	topics = []string{
		"climate talks", "trade agreement", "energy prices", "vaccine programme", "rail strike",
		"interest rates", "harbour expansion", "election campaign", "drought relief", "peace plan",
		"budget dispute", "flood defences", "chip factory", "fishing quotas", "housing reform",
	}
	verbs    = []string{"welcomed", "criticised", "praised", "condemned", "backed", "rejected", "questioned", "defended"}
	days     = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
	bylines  = []string{"Ana Ortiz", "Tom Becker", "Priya Nair", "Lena Fischer", "Kwame Mensah", "Sofia Rossi"}
	openings = []string{
		"%s %s the %s in %s on %s, saying the decision would shape the coming year.",
		"Officials in %[4]s said on %[5]s that %[1]s had %[2]s the %[3]s after weeks of negotiations.",
		"%s has %s the %s, according to people familiar with the talks in %s on %s.",
	}
	middles = []string{
		"%s said in a statement that the %s needed more time, while %s urged both sides to return to the table.",
		"Representatives of %s met in %s to discuss the %s and agreed to publish a joint report.",
		"Critics in %s accused %s of moving too slowly on the %s, a charge the government denied.",
		"%s warned that the %s could cost %s billions unless a compromise was found before the summer.",
		"Analysts at %s expect the %s to dominate the agenda when ministers meet in %s next month.",
	}
	closings = []string{
		"A spokesperson for %s declined to comment further. The reference number of this report is NF-%06d.",
		"Further talks are planned in %s. The reference number of this report is NF-%06d.",
		"%s is expected to respond later this week. The reference number of this report is NF-%06d.",
	}
)

// Generate returns article n (n >= 0). The same n always gives the same article.
func Generate(n int) Article {
	r := rand.New(rand.NewPCG(0x6e657773, uint64(n)))
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	p1, p2, o1, o2 := pick(people), pick(people), pick(orgs), pick(orgs)
	l1, l2, topic := pick(places), pick(places), pick(topics)
	a := Article{
		N:         n,
		Title:     fmt.Sprintf("%s %s %s in %s (report %d)", p1, pick(verbs), topic, l1, n),
		Byline:    pick(bylines),
		Published: Epoch.AddDate(0, 0, n/50),
	}
	a.Paragraphs = append(a.Paragraphs, fmt.Sprintf(pick(openings), p1, pick(verbs), topic, l1, pick(days)))
	for range 2 + r.IntN(3) {
		var s string
		switch i := r.IntN(len(middles)); i {
		case 0:
			s = fmt.Sprintf(middles[i], capital(o1), topic, p2)
		case 1:
			s = fmt.Sprintf(middles[i], o2, l2, topic)
		case 2:
			s = fmt.Sprintf(middles[i], l2, capital(o1), topic)
		case 3:
			s = fmt.Sprintf(middles[i], p2, topic, l1)
		default:
			s = fmt.Sprintf(middles[i], o2, topic, l2)
		}
		a.Paragraphs = append(a.Paragraphs, s)
	}
	switch i := r.IntN(len(closings)); i {
	case 1:
		a.Paragraphs = append(a.Paragraphs, fmt.Sprintf(closings[i], l2, n))
	case 2:
		a.Paragraphs = append(a.Paragraphs, fmt.Sprintf(closings[i], capital(o2), n))
	default:
		a.Paragraphs = append(a.Paragraphs, fmt.Sprintf(closings[i], o1, n))
	}
	return a
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// SerialOf returns the serial number of a generated article from its
// title, and false when the title is not one Generate makes.
func SerialOf(title string) (int, bool) {
	i := strings.LastIndex(title, "(report ")
	if i < 0 || !strings.HasSuffix(title, ")") {
		return 0, false
	}
	n, err := strconv.Atoi(title[i+len("(report ") : len(title)-1])
	if err != nil || n < 0 || strconv.Itoa(n) != title[i+len("(report "):len(title)-1] {
		return 0, false
	}
	return n, true
}

// TextFile renders the article in the fetcher's inbox format: a date line,
// the title alone on the first line, then the paragraphs.
func (a Article) TextFile() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "date %s\n%s\n\n%s\n", a.Published.Format("2006-01-02"), a.Title, a.Body())
	return []byte(b.String())
}

// Path is where the feed server serves the article.
func (a Article) Path() string { return "/news/" + strconv.Itoa(a.N) }

// HTML renders the article as a news site page: navigation, a headline,
// metadata (Open Graph, JSON-LD), the paragraphs, a related-links aside and
// a footer, the way real pages surround the text with boilerplate.
func (a Article) HTML() []byte {
	e := html.EscapeString
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	fmt.Fprintf(&b, "<title>%s | The Daily Newsflow</title>\n", e(a.Title))
	fmt.Fprintf(&b, "<meta property=\"og:title\" content=\"%s\">\n", e(a.Title))
	fmt.Fprintf(&b, "<meta property=\"og:type\" content=\"article\">\n<meta name=\"author\" content=\"%s\">\n", e(a.Byline))
	fmt.Fprintf(&b, "<meta property=\"article:published_time\" content=\"%s\">\n", a.Published.Format(time.RFC3339))
	fmt.Fprintf(&b, "<script type=\"application/ld+json\">{\"@context\":\"https://schema.org\",\"@type\":\"NewsArticle\",\"headline\":%q,\"datePublished\":%q,\"author\":{\"@type\":\"Person\",\"name\":%q}}</script>\n",
		a.Title, a.Published.Format(time.RFC3339), a.Byline)
	b.WriteString("<link rel=\"stylesheet\" href=\"/static/site.css\">\n</head>\n<body>\n")
	b.WriteString("<header><nav><a href=\"/\">Home</a> <a href=\"/world\">World</a> <a href=\"/business\">Business</a> <a href=\"/sport\">Sport</a> <a href=\"/login\">Sign in</a></nav></header>\n")
	b.WriteString("<div class=\"cookie-banner\">We use cookies to improve your experience. <button>Accept all</button></div>\n")
	b.WriteString("<main>\n<article>\n")
	fmt.Fprintf(&b, "<h1>%s</h1>\n<p class=\"byline\">By %s, %s</p>\n", e(a.Title), e(a.Byline), a.Published.Format("2 January 2006"))
	for i, p := range a.Paragraphs {
		fmt.Fprintf(&b, "<p>%s</p>\n", e(p))
		if i == 1 {
			b.WriteString("<div class=\"ad\">Advertisement</div>\n")
		}
	}
	b.WriteString("</article>\n<aside><h2>Related</h2><ul>\n")
	for k := 1; k <= 3; k++ {
		rel := Generate(a.N + k)
		fmt.Fprintf(&b, "<li><a href=\"%s\">%s</a></li>\n", rel.Path(), e(rel.Title))
	}
	b.WriteString("</ul></aside>\n</main>\n")
	b.WriteString("<footer><p>&copy; 2026 The Daily Newsflow. All rights reserved.</p><a href=\"/privacy\">Privacy</a> <a href=\"/terms\">Terms</a></footer>\n</body>\n</html>\n")
	return []byte(b.String())
}

// RSS renders an RSS 2.0 feed of articles [from, to) with links under
// base (such as "http://feedsrv:8080"), newest first, as news sites do.
func RSS(base string, from, to int) []byte {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<channel>\n")
	fmt.Fprintf(&b, "<title>The Daily Newsflow</title>\n<link>%s/</link>\n<description>Generated news for end-to-end tests</description>\n", html.EscapeString(base))
	for n := to - 1; n >= from; n-- {
		a := Generate(n)
		fmt.Fprintf(&b, "<item>\n<title>%s</title>\n<link>%s%s</link>\n<guid isPermaLink=\"true\">%s%s</guid>\n<dc:creator>%s</dc:creator>\n<pubDate>%s</pubDate>\n<description>%s</description>\n</item>\n",
			html.EscapeString(a.Title), html.EscapeString(base), a.Path(), html.EscapeString(base), a.Path(),
			html.EscapeString(a.Byline), a.Published.Format(time.RFC1123Z), html.EscapeString(a.Paragraphs[0]))
	}
	b.WriteString("</channel>\n</rss>\n")
	return []byte(b.String())
}
