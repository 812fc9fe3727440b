package extract

import (
	"fmt"
	"html"
	"strings"
)

// testPage describes a news page shaped like the real web: cookie banner,
// navigation, share buttons, a captioned photo, a related-stories box in
// the middle of the text, comments, a newsletter box and a footer around a
// few paragraphs of article text.
type testPage struct {
	lang, charsetMeta string // charsetMeta "" leaves the charset undeclared
	title, site       string
	canonical, ogURL  string // "" omits the element
	jsonLD            string // "" omits the script
	paras             []string
	boilerplate       []string // texts that must not reach Article.Text
}

func (p testPage) html() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("<!DOCTYPE html>\n<html lang=%q><head>\n", p.lang)
	if p.charsetMeta != "" {
		w("<meta charset=%q>\n", p.charsetMeta)
	}
	w("<title>%s | %s</title>\n", html.EscapeString(p.title), html.EscapeString(p.site))
	w(`<meta name="viewport" content="width=device-width">` + "\n")
	if p.canonical != "" {
		w("<link rel=\"canonical\" href=%q>\n", p.canonical)
	}
	if p.ogURL != "" {
		w("<meta property=\"og:url\" content=%q>\n", p.ogURL)
	}
	w("<meta property=\"og:title\" content=%q>\n", p.title)
	w("<meta property=\"og:site_name\" content=%q>\n", p.site)
	w("<style>body{font-family:serif}.cookie{position:fixed}</style>\n")
	w("<script>window.dataLayer=window.dataLayer||[];dataLayer.push({page:'article'});</script>\n")
	if p.jsonLD != "" {
		w("<script type=\"application/ld+json\">%s</script>\n", p.jsonLD)
	}
	w("</head><body>\n")
	w(`<div id="cookie-banner" class="cookie-consent"><p>%s</p><button>OK</button></div>`+"\n", p.boilerplate[0])
	w(`<header class="site-header"><a class="logo" href="/">%s</a><nav class="main-nav"><ul>`, p.site)
	for _, s := range []string{"Home", "World", "Politics", "Business", "Sport", "Culture", "Opinion"} {
		w(`<li><a href="/%s">%s</a></li>`, strings.ToLower(s), s)
	}
	w("</ul></nav></header>\n<main><article class=\"story\">\n")
	w("<h1 class=\"headline\">%s</h1>\n", html.EscapeString(p.title))
	w(`<div class="meta"><span class="byline">Jane Roe</span> <time datetime="2024-03-05T09:30:00+01:00">5.3.2024</time></div>` + "\n")
	w(`<div class="share-tools"><a href="https://twitter.com/intent/tweet">%s</a> <a href="https://facebook.com/sharer">Facebook</a> <a href="mailto:">Email</a></div>`+"\n", p.boilerplate[1])
	w(`<figure class="lead-photo"><img src="/img/lead.jpg" alt=""><figcaption>%s</figcaption></figure>`+"\n", p.boilerplate[2])
	w("<div class=\"story-body\">\n")
	for i, para := range p.paras {
		w("<p>%s</p>\n", html.EscapeString(para))
		if i == len(p.paras)/2 {
			w(`<aside class="related-links"><h3>Related</h3><ul>`)
			for _, r := range p.boilerplate[3:5] {
				w(`<li><a href="/related/%d">%s</a></li>`, len(r), r)
			}
			w("</ul></aside>\n")
			w(`<div class="ad-slot"><span>Advertisement</span><iframe src="/ads/1"></iframe></div>` + "\n")
		}
	}
	w("</div></article>\n")
	w(`<section id="comments" class="comments"><h2>Comments (2)</h2>`)
	for _, c := range p.boilerplate[5:7] {
		w(`<div class="comment"><span class="comment-author">reader42</span><p>%s</p><a href="#reply">Reply</a></div>`, c)
	}
	w("</section>\n")
	w(`<div class="newsletter-signup"><p>%s</p><form><input type="email"><button>Subscribe</button></form></div>`+"\n", p.boilerplate[7])
	w(`<section class="more-stories"><h2>Most read</h2><ul>`)
	for i := range 8 {
		w(`<li><a href="/story/%d">Most read story number %d of the day</a></li>`, i, i)
	}
	w("</ul></section>\n</main>\n")
	w(`<footer class="site-footer"><p>%s</p><a href="/privacy">Privacy</a> <a href="/terms">Terms</a></footer>`+"\n", p.boilerplate[8])
	w("</body></html>\n")
	return b.String()
}

var englishPage = testPage{
	lang:        "en",
	charsetMeta: "utf-8",
	title:       "City council approves budget after marathon session",
	site:        "Daily Bugle",
	canonical:   "/politics/2024/03/05/council-budget",
	ogURL:       "https://www.dailybugle.example/politics/2024/03/05/council-budget?ref=og",
	jsonLD: `{"@context":"https://schema.org","@graph":[
		{"@type":"WebSite","name":"Daily Bugle","url":"https://www.dailybugle.example/"},
		{"@type":"NewsArticle","headline":"City council approves budget after marathon session",
		 "datePublished":"2024-03-05T09:30:00+01:00","dateModified":"2024-03-05T12:00:00+01:00",
		 "author":[{"@type":"Person","name":"Jane Roe"},{"@type":"Person","name":"John Poe"}],
		 "publisher":{"@type":"Organization","name":"Daily Bugle"}}]}`,
	paras: []string{
		"The city council approved next year's budget early on Tuesday after a session that lasted more than fourteen hours, ending weeks of negotiations between the mayor's office and the opposition benches.",
		"The plan raises spending on public transport by twelve percent and freezes property taxes for a second year, a compromise that neither side described as a victory when the final vote was counted.",
		"\"We listened to residents who told us the buses are late and overcrowded,\" the council's finance chair said after the vote. \"This budget puts money where the complaints were loudest.\"",
		"Opposition members argued that the transport increase relies on optimistic revenue forecasts and warned that a slowdown in construction permits could open a gap of several million by the autumn.",
		"The budget also funds two new libraries in the northern districts, extends opening hours at municipal swimming pools and sets aside a reserve for emergency repairs to the old river bridge.",
		"Residents can read the full budget document on the city's website, and the council will hold public hearings on the transport plan in April before the first contracts are signed.",
	},
	boilerplate: []string{
		"We use cookies to personalise content and ads. By continuing to browse you accept our cookie policy.",
		"Share on Twitter",
		"Council members during the vote on Monday night. Photograph: Staff photographer",
		"Mayor announces new bicycle lanes for the summer",
		"Five things to know about the river bridge repairs",
		"This is a waste of taxpayer money and everyone knows it, typical council behaviour again.",
		"Finally some good news for bus users in the north of the city, about time honestly.",
		"Get the morning briefing delivered to your inbox every weekday before seven o'clock.",
		"Copyright 2024 Daily Bugle Media Group. All rights reserved.",
	},
}

var russianPage = testPage{
	lang:      "ru",
	title:     "Городская дума утвердила бюджет после долгого заседания",
	site:      "Вечерние вести",
	canonical: "https://vesti.example/politika/byudzhet",
	paras: []string{
		"Городская дума утвердила бюджет на следующий год во вторник утром после заседания, которое продолжалось более четырнадцати часов и завершило несколько недель переговоров.",
		"План увеличивает расходы на общественный транспорт на двенадцать процентов и сохраняет налог на имущество на прежнем уровне второй год подряд, что стало компромиссом для обеих сторон.",
		"«Мы услышали жителей, которые жалуются на переполненные и опаздывающие автобусы», — заявил после голосования председатель финансового комитета думы.",
		"Представители оппозиции считают, что рост расходов на транспорт опирается на слишком оптимистичный прогноз доходов, и предупреждают о возможном дефиците уже осенью.",
		"Бюджет также предусматривает строительство двух новых библиотек в северных районах и продление часов работы муниципальных бассейнов, а также резерв на ремонт старого моста.",
		"Жители могут ознакомиться с полным текстом бюджета на сайте города, а публичные слушания по транспортному плану пройдут в апреле, до подписания первых контрактов.",
	},
	boilerplate: []string{
		"Мы используем файлы cookie, чтобы сделать сайт удобнее. Продолжая просмотр, вы соглашаетесь с этим.",
		"Поделиться ВКонтакте",
		"Депутаты во время голосования в понедельник вечером. Фото: пресс-служба",
		"Мэр объявил о новых велосипедных дорожках на лето",
		"Пять фактов о ремонте старого моста через реку",
		"Опять деньги налогоплательщиков уходят неизвестно куда, как всегда у нашей думы.",
		"Наконец-то хорошие новости для тех, кто ездит на автобусах на севере города.",
		"Подпишитесь на утреннюю рассылку и получайте главные новости каждый будний день.",
		"© 2024 Вечерние вести. Все права защищены.",
	},
}

var portuguesePage = testPage{
	lang:  "pt-BR",
	title: "Câmara aprova orçamento após sessão de catorze horas",
	site:  "Gazeta da Região",
	ogURL: "https://gazeta.example/politica/orcamento-aprovado",
	paras: []string{
		"A câmara municipal aprovou o orçamento do próximo ano na manhã de terça-feira, depois de uma sessão que durou mais de catorze horas e encerrou semanas de negociação.",
		"O plano aumenta em doze por cento os gastos com transporte público e mantém congelado o imposto predial pelo segundo ano, um acordo que nenhum dos lados chamou de vitória.",
		"\"Ouvimos os moradores que reclamam de ônibus atrasados e lotados\", afirmou o presidente da comissão de finanças logo após a votação, diante de uma plateia cansada.",
		"Vereadores da oposição disseram que o aumento depende de previsões otimistas de arrecadação e alertaram para um possível déficit de vários milhões já no outono.",
		"O orçamento também financia duas novas bibliotecas na zona norte, amplia o horário das piscinas municipais e reserva recursos para reparos urgentes na velha ponte do rio.",
		"Os moradores podem consultar o documento completo no site da prefeitura, e as audiências públicas sobre o plano de transporte acontecem em abril, antes da assinatura dos contratos.",
	},
	boilerplate: []string{
		"Usamos cookies para melhorar sua experiência. Ao continuar navegando, você concorda com a nossa política.",
		"Compartilhar no Twitter",
		"Vereadores durante a votação na segunda-feira à noite. Foto: Assessoria de imprensa",
		"Prefeito anuncia novas ciclovias para o verão",
		"Cinco coisas para saber sobre os reparos na ponte",
		"Mais uma vez o dinheiro do contribuinte indo embora sem ninguém saber para onde.",
		"Finalmente uma boa notícia para quem depende dos ônibus na zona norte da cidade.",
		"Receba o resumo da manhã no seu e-mail todos os dias úteis antes das sete horas.",
		"© 2024 Gazeta da Região. Todos os direitos reservados.",
	},
}
