package extract

import (
	"reflect"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func TestRenderText(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		trimmed bool
		want    []string
	}{
		{"paragraphs", "<p>One  two\n three.</p><p>Four.</p>", false, []string{"One two three.", "Four."}},
		{"inline markup keeps words", "<p>A <b>bold</b> w<i>or</i>d.</p>", false, []string{"A bold word."}},
		{"line breaks", "<p>line one<br>line two<br/><br>line three</p>", false, []string{"line one\nline two\nline three"}},
		{"lists and headings", "<h2>Head</h2><ul><li>a</li><li>b</li></ul>", false, []string{"Head", "a", "b"}},
		{"skips scripts, forms and media", "<p>keep<script>drop()</script><button>Drop</button><img alt=drop></p><style>p{}</style>", false, []string{"keep"}},
		{"pre keeps spacing within lines", "<pre>a  b\n  c</pre>", false, []string{"a  b\nc"}},
		{"table cells separated", "<table><tr><td>1</td><td>Kyle</td></tr><tr><td>2</td><td>Ann</td></tr></table>", false, []string{"1 Kyle", "2 Ann"}},
		{"trimmed text nodes get separated", "<p>everyone<a>will</a>appreciate</p>", true, []string{"everyone will appreciate"}},
		{"text directly in div", "<div>loose text<p>para</p>tail</div>", false, []string{"loose text", "para", "tail"}},
		{"zero-width space is whitespace", "<p>a\u200bb</p>", false, []string{"a b"}},
		{"empty", "<div> <p> </p> </div>", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := html.Parse(strings.NewReader("<body>" + tt.in + "</body>"))
			if err != nil {
				t.Fatal(err)
			}
			if got := renderText(doc, tt.trimmed); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("renderText = %q, want %q", got, tt.want)
			}
		})
	}
}
