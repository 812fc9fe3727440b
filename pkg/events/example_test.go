package events_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/newsflow/newsflow/pkg/events"
)

func ExampleDecodeEnriched() {
	data, err := os.ReadFile("testdata/golden/enriched-article.v1.json")
	if err != nil {
		panic(err)
	}
	art, err := events.DecodeEnriched(data)
	switch {
	case errors.Is(err, events.ErrSchemaVersion):
		// a newer producer: park the message and upgrade this consumer
	case err != nil:
		// poison: the payload will never decode, so do not retry it
	}
	body := []rune(art.Article.Body) // spans count code points
	for _, e := range art.Entities[:3] {
		m := e.Mentions[0]
		fmt.Printf("%s %q at [%d,%d): %q\n", e.Key, e.Name, m.Start, m.End, string(body[m.Start:m.End]))
	}
	// Output:
	// location:russia "Russia" at [0,6): "Russia"
	// person:sergey-lavrov "Sergey Lavrov" at [26,39): "Sergey Lavrov"
	// organization:united-nations "United Nations" at [50,64): "United Nations"
}

func ExampleCanonicalURL() {
	u, _ := events.CanonicalURL("HTTPS://News.Example.com:443/world/./story/?utm_source=rss&b=2&a=1#comments")
	fmt.Println(u)
	// Output: https://news.example.com/world/story/?a=1&b=2
}

func ExampleMentionSubject() {
	key := events.EntityKey(events.TypeLocation, "São Paulo")
	fmt.Println(key)
	fmt.Println(events.MentionSubject(events.TypeLocation, key))
	fmt.Println(events.EnrichedSubject("news.example.com"))
	// Output:
	// location:sao-paulo
	// news.mentions.location.sao-paulo
	// news.enriched.news_example_com
}
