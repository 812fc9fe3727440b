package corpus

import (
	"math/rand/v2"
	"strings"
)

// Synthetic returns n documents of news-like sentences made from templates
// and name lists, for runs without the shared data. The text is English
// with people, organisations and places in it, so the enricher does its
// usual work, but it is less varied than real news.
func Synthetic(n int, seed uint64) []Doc {
	rng := rand.New(rand.NewPCG(seed, 0x73796e7468))
	pick := func(l []string) string { return l[rng.IntN(len(l))] }
	docs := make([]Doc, n)
	for i := range docs {
		person, org, place := pick(synPeople), pick(synOrgs), pick(synPlaces)
		k := 8 + rng.IntN(24)
		d := make(Doc, 0, k)
		for range k {
			t := pick(synTemplates)
			r := strings.NewReplacer(
				"{P}", person, "{P2}", pick(synPeople), "{O}", org, "{O2}", pick(synOrgs),
				"{L}", place, "{L2}", pick(synPlaces), "{D}", pick(synDays), "{N}", pick(synNumbers),
				"{V}", pick(synVerbs), "{T}", pick(synTopics),
			)
			d = append(d, r.Replace(t))
		}
		docs[i] = d
	}
	return docs
}

var (
	synTemplates = []string{
		"{P} said on {D} that {O} would {V} its plans for {T} in {L}.",
		"Officials in {L} told reporters that talks with {O2} over {T} had stalled, and {P2} called the delay unacceptable.",
		"{O} shares fell {N} percent after {P} warned that {T} could weigh on results in {L} and {L2}.",
		"“We will not accept this,” {P} told a news conference in {L}, adding that {O} had been informed.",
		"The agreement, backed by {O} and opposed by {P2}, is expected to {V} {T} across {L2}.",
		"Critics including {P2} accused {O2} of ignoring warnings about {T}, a charge the group denied.",
		"In a statement on {D}, {O} said it had appointed {P} to lead its operations in {L}.",
		"{P} met {P2} in {L} to discuss {T}, according to a spokesperson for {O}.",
		"Analysts said the move by {O} to {V} {T} reflected growing pressure from investors in {L}.",
		"Protesters gathered outside the offices of {O2} in {L2} on {D}, demanding action on {T}.",
		"The government of {L} praised {O} for its role in {T}, while {P2} remained sceptical.",
		"About {N} people were affected, said {P}, who heads the regional office of {O} in {L}.",
	}
	synPeople = []string{
		"Angela Merkel", "Joe Biden", "Emmanuel Macron", "Olaf Scholz", "Rishi Sunak", "Xi Jinping",
		"Narendra Modi", "Sergey Lavrov", "Antonio Guterres", "Christine Lagarde", "Jerome Powell",
		"Ursula von der Leyen", "Justin Trudeau", "Giorgia Meloni", "Pedro Sanchez", "Recep Tayyip Erdogan",
		"Maria Fernandez", "John Carter", "Amina Yusuf", "Kenji Watanabe", "Laura Schmidt", "David Okafor",
	}
	synOrgs = []string{
		"the European Commission", "the United Nations", "NATO", "the World Bank", "the IMF", "Reuters",
		"Siemens", "Toyota", "Microsoft", "Gazprom", "the Federal Reserve", "the Bank of England",
		"Amnesty International", "the World Health Organization", "Volkswagen", "Shell", "Airbus",
		"the Labour Party", "the Republican Party", "the African Union", "Interpol", "OPEC",
	}
	synPlaces = []string{
		"Berlin", "Paris", "London", "Moscow", "Beijing", "Washington", "New Delhi", "Brussels", "Kyiv",
		"Tokyo", "Nairobi", "Lagos", "Madrid", "Rome", "Ankara", "Ottawa", "Geneva", "Canberra",
		"Germany", "France", "Brazil", "Nigeria", "Japan", "Canada", "Turkey", "Ukraine", "India",
	}
	synDays    = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
	synNumbers = []string{"two", "five", "12", "40", "3.5", "hundreds of", "1,200", "seven", "18"}
	synVerbs   = []string{"expand", "review", "delay", "cut", "accelerate", "suspend", "finance", "reshape"}
	synTopics  = []string{
		"energy prices", "the budget", "migration", "interest rates", "climate targets", "the ceasefire",
		"trade tariffs", "vaccine supplies", "the election", "housing", "defence spending", "grain exports",
	}
)
