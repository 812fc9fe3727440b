package testsite

// Article is a story the site publishes: a page under /news/<Slug>, an
// item in the feeds and the sitemap.
type Article struct {
	Slug      string
	Title     string
	Byline    string
	Published string // RFC 3339
	Lead      string // the feed's description
	Paras     []string
}

// Articles are the stories of the site, newest first.
var Articles = []Article{
	{
		Slug:      "harbour-strike-ends",
		Title:     "Harbour strike ends after nine days as dockers accept pay offer",
		Byline:    "Maria Okafor",
		Published: "2026-03-04T09:30:00Z",
		Lead:      "Dockers at the port of Eastmouth voted to accept a 6.5% pay rise.",
		Paras: []string{
			"Dockers at the port of Eastmouth voted on Tuesday to accept a pay offer worth 6.5 percent over two years, ending a nine-day strike that had left more than forty container ships waiting at anchor in the estuary.",
			"The Eastmouth Port Authority said the first vessels would berth on Wednesday morning and that it expected the backlog to clear within a fortnight, although hauliers warned that delays to deliveries of fresh produce would last longer.",
			"Union organiser Tomasz Wrona told reporters outside the ballot hall that members had won guarantees on shift patterns as well as pay. \"This was never only about money,\" he said. \"It was about being able to plan a family life around the rota.\"",
			"The strike had drawn criticism from the regional chamber of commerce, which estimated that local businesses lost around 18 million euros in trade. Its president, Helena Brandt, welcomed the deal but called for a review of how disputes at critical infrastructure are settled.",
			"The transport ministry declined to comment on whether it would propose changes to strike rules, saying only that it was pleased the parties had reached an agreement without government intervention.",
		},
	},
	{
		Slug:      "solar-record",
		Title:     "Solar farms supply record share of power on sunny Sunday",
		Byline:    "Daniel Ferreira",
		Published: "2026-03-03T16:05:00Z",
		Lead:      "Solar generation covered 61% of demand at midday, the grid operator said.",
		Paras: []string{
			"Solar farms and rooftop panels supplied 61 percent of the country's electricity at midday on Sunday, a record share according to figures published by the national grid operator on Monday.",
			"Mild temperatures and clear skies across the southern provinces pushed output above 19 gigawatts for almost three hours, forcing several gas plants to idle and briefly sending wholesale prices below zero.",
			"Grid engineers said the system coped well but that the surge showed the need for more storage. \"We had more clean power than we could use for part of the afternoon,\" said Ingrid Solberg, head of system operations.",
			"The energy regulator is due to publish rules next month for a tender of battery capacity, which industry groups hope will reach four gigawatts by the end of the decade.",
		},
	},
	{
		Slug:      "cup-final",
		Title:     "Riverside United win the cup on penalties after goalless final",
		Byline:    "Sam Whitaker",
		Published: "2026-03-02T21:40:00Z",
		Lead:      "Riverside beat Northgate on penalties.",
		Paras: []string{
			"Riverside United won the national cup for the first time in twenty-three years on Saturday night, beating Northgate 4-2 on penalties after a tense final finished goalless after extra time.",
			"Goalkeeper Arjun Mehta was the hero, diving to his left to save the first Northgate kick and then guessing right again to deny their captain, Luca Moretti, in the fourth round of the shoot-out.",
			"Northgate had the better chances in normal time, hitting the post twice in the second half, but Riverside's defence held firm in front of a crowd of 52,000 at the national stadium.",
			"Riverside manager Claire Dubois said afterwards that the win belonged to the supporters who had stood by the club through two relegations. \"They waited a long time for this night,\" she said.",
		},
	},
	{
		Slug:      "library-reopens",
		Title:     "City library reopens after three-year restoration",
		Byline:    "Aiko Tanaka",
		Published: "2026-03-01T08:00:00Z",
		Lead:      "The restored reading room seats 300 people under its glass dome.",
		Paras: []string{
			"The central city library reopened to the public on Friday after a three-year restoration that repaired its leaking glass dome and added a children's wing in the former coal cellars.",
			"Visitors queued from early morning to see the main reading room, whose oak desks and brass lamps were removed, cleaned and returned to their original places, and which now seats three hundred readers.",
			"Chief librarian Oskar Lindqvist said the building would stay open until ten in the evening on weekdays, two hours longer than before the works, and that membership would remain free for residents.",
			"The restoration cost 42 million, most of it paid by the city and the rest by a heritage fund, and came in four months late after the discovery of asbestos in the roof space delayed work in the first year.",
		},
	},
}
