package stance

import "strings"

// Stance directions of a cue.
const (
	dirOppose  int8 = -1
	dirNeutral int8 = 0
	dirSupport int8 = 1
)

// cueKind says where a cue expects its holder and target.
type cueKind uint8

const (
	// kindVerb: HOLDER cue TARGET ("X condemned Y"), or passive
	// TARGET was cue by HOLDER.
	kindVerb cueKind = iota
	// kindDirective: HOLDER cue TARGET to VERB ("X urged Y to resign"); the
	// stance comes from the complement verb, neutral by default.
	kindDirective
	// kindReceive: TARGET cue [det adj] NOUN of|from HOLDER ("Y won the
	// support of X"); the noun carries the stance.
	kindReceive
	// kindGive: HOLDER cue [det adj] NOUN to|for|of TARGET ("X pledged
	// support for Y"); the noun carries the stance.
	kindGive
	// kindNegating: a verb that negates the cue after it ("refused to").
	kindNegating
)

// cue is a word that carries, or shapes, a stance.
type cue struct {
	dir  int8
	kind cueKind
	// particles must follow the cue for it to apply ("hit out at"); a
	// determiner may sit between them ("threw its weight behind").
	particles []uint64
	// after, if set, must follow the target ("charged Y with").
	after uint64
	alt   *cue // the same word with other particles
	past  bool // the form is a past tense or participle
}

// verbForms returns the inflections of a regular verb base, or of
// "base|3rd|past|ing" when given with bars.
func verbForms(spec string) (forms []string, past []string) {
	if strings.Contains(spec, "|") {
		p := strings.Split(spec, "|")
		return p, p[2:3]
	}
	b := spec
	switch {
	case strings.HasSuffix(b, "e"):
		return []string{b, b + "s", b + "d", b[:len(b)-1] + "ing"}, []string{b + "d"}
	case strings.HasSuffix(b, "y") && !strings.ContainsAny(b[len(b)-2:len(b)-1], "aeiou"):
		return []string{b, b[:len(b)-1] + "ies", b[:len(b)-1] + "ied", b + "ing"}, []string{b[:len(b)-1] + "ied"}
	case strings.HasSuffix(b, "sh") || strings.HasSuffix(b, "ch") || strings.HasSuffix(b, "ss") || strings.HasSuffix(b, "x"):
		return []string{b, b + "es", b + "ed", b + "ing"}, []string{b + "ed"}
	}
	return []string{b, b + "s", b + "ed", b + "ing"}, []string{b + "ed"}
}

// cueEntry is one line of the stance vocabulary: the forms of a word (see
// verbForms), the particles that must follow it, and, prefixed with "+",
// the word that must follow its target ("charged Y with").
type cueEntry struct {
	spec      string
	particles string
	dir       int8
	kind      cueKind
}

var cueEntries = []cueEntry{
	// Opposition verbs: HOLDER verb TARGET.
	{"accuse", "", dirOppose, kindVerb}, {"condemn", "", dirOppose, kindVerb},
	{"criticise", "", dirOppose, kindVerb}, {"criticize", "", dirOppose, kindVerb},
	{"blame", "", dirOppose, kindVerb}, {"attack", "", dirOppose, kindVerb},
	{"denounce", "", dirOppose, kindVerb}, {"slam|slams|slammed|slamming", "", dirOppose, kindVerb},
	{"blast", "", dirOppose, kindVerb}, {"reject", "", dirOppose, kindVerb},
	{"oppose", "", dirOppose, kindVerb}, {"sanction", "", dirOppose, kindVerb},
	{"sue", "", dirOppose, kindVerb}, {"rebuke", "", dirOppose, kindVerb},
	{"castigate", "", dirOppose, kindVerb}, {"lambast", "", dirOppose, kindVerb},
	{"lambaste", "", dirOppose, kindVerb}, {"chide", "", dirOppose, kindVerb},
	{"berate", "", dirOppose, kindVerb}, {"threaten", "", dirOppose, kindVerb},
	{"punish", "", dirOppose, kindVerb}, {"boycott", "", dirOppose, kindVerb},
	{"snub|snubs|snubbed|snubbing", "", dirOppose, kindVerb}, {"mock", "", dirOppose, kindVerb},
	{"ridicule", "", dirOppose, kindVerb}, {"deride", "", dirOppose, kindVerb},
	{"fault", "", dirOppose, kindVerb}, {"veto|vetoes|vetoed|vetoing", "", dirOppose, kindVerb},
	{"expel|expels|expelled|expelling", "", dirOppose, kindVerb}, {"impeach", "", dirOppose, kindVerb},
	{"indict", "", dirOppose, kindVerb}, {"sack", "", dirOppose, kindVerb},
	{"scold", "", dirOppose, kindVerb}, {"decry", "", dirOppose, kindVerb},
	{"deplore", "", dirOppose, kindVerb}, {"distrust", "", dirOppose, kindVerb},
	{"disown", "", dirOppose, kindVerb}, {"vilify", "", dirOppose, kindVerb},
	{"demonise", "", dirOppose, kindVerb}, {"demonize", "", dirOppose, kindVerb},
	{"insult", "", dirOppose, kindVerb}, {"blacklist", "", dirOppose, kindVerb},
	{"regret", "", dirOppose, kindVerb}, {"lament", "", dirOppose, kindVerb},
	{"dismiss", "", dirOppose, kindVerb}, {"defy", "", dirOppose, kindVerb},
	{"challenge", "", dirOppose, kindVerb}, {"blast", "", dirOppose, kindVerb},
	{"slate", "", dirOppose, kindVerb}, {"savage", "", dirOppose, kindVerb},
	{"ban|bans|banned|banning", "", dirOppose, kindVerb}, {"outlaw", "", dirOppose, kindVerb},
	{"hit|hits|hit|hitting", "out at", dirOppose, kindVerb},
	{"lash|lashes|lashed|lashing", "out at", dirOppose, kindVerb},
	{"take|takes|took|taking", "aim at", dirOppose, kindVerb},
	{"rail", "against", dirOppose, kindVerb}, {"turn", "against", dirOppose, kindVerb},
	{"turn", "on", dirOppose, kindVerb}, {"round", "on", dirOppose, kindVerb},
	{"vote", "against", dirOppose, kindVerb}, {"campaign", "against", dirOppose, kindVerb},
	{"protest", "against", dirOppose, kindVerb}, {"speak|speaks|spoke|speaking", "out against", dirOppose, kindVerb},
	{"break|breaks|broke|breaking", "with", dirOppose, kindVerb}, {"clash|clashes|clashed|clashing", "with", dirOppose, kindVerb},
	{"fall|falls|fell|falling", "out with", dirOppose, kindVerb}, {"crack|cracks|cracked|cracking", "down on", dirOppose, kindVerb},
	{"push|pushes|pushed|pushing", "back against", dirOppose, kindVerb},
	{"come|comes|came|coming", "out against", dirOppose, kindVerb},
	{"charge", "+with", dirOppose, kindVerb}, {"protest", "to", dirOppose, kindVerb},
	{"-|fines|fined|fining", "", dirOppose, kindVerb}, {"suspend", "", dirOppose, kindVerb},
	{"censure", "", dirOppose, kindVerb}, {"block", "", dirOppose, kindVerb},
	{"downgrade", "", dirOppose, kindVerb}, {"reprimand", "", dirOppose, kindVerb},
	{"boo|boos|booed|booing", "", dirOppose, kindVerb}, {"persecute", "", dirOppose, kindVerb},
	{"distance", "himself from", dirOppose, kindVerb}, {"distance", "herself from", dirOppose, kindVerb},
	{"distance", "itself from", dirOppose, kindVerb}, {"distance", "themselves from", dirOppose, kindVerb},

	// Support verbs.
	{"praise", "", dirSupport, kindVerb}, {"back", "", dirSupport, kindVerb},
	{"support", "", dirSupport, kindVerb}, {"endorse", "", dirSupport, kindVerb},
	{"welcome", "", dirSupport, kindVerb}, {"hail", "", dirSupport, kindVerb},
	{"applaud", "", dirSupport, kindVerb}, {"commend", "", dirSupport, kindVerb},
	{"congratulate", "", dirSupport, kindVerb}, {"thank", "", dirSupport, kindVerb},
	{"defend", "", dirSupport, kindVerb}, {"recognise", "", dirSupport, kindVerb},
	{"recognize", "", dirSupport, kindVerb}, {"embrace", "", dirSupport, kindVerb},
	{"champion", "", dirSupport, kindVerb}, {"laud", "", dirSupport, kindVerb},
	{"salute", "", dirSupport, kindVerb}, {"approve", "", dirSupport, kindVerb},
	{"honour", "", dirSupport, kindVerb}, {"honor", "", dirSupport, kindVerb},
	{"admire", "", dirSupport, kindVerb}, {"trust", "", dirSupport, kindVerb},
	{"reassure", "", dirSupport, kindVerb}, {"join", "", dirSupport, kindVerb},
	{"woo", "", dirSupport, kindVerb}, {"befriend", "", dirSupport, kindVerb},
	{"side", "with", dirSupport, kindVerb}, {"stand|stands|stood|standing", "by", dirSupport, kindVerb},
	{"stand|stands|stood|standing", "with", dirSupport, kindVerb}, {"stand|stands|stood|standing", "behind", dirSupport, kindVerb},
	{"vote", "for", dirSupport, kindVerb}, {"campaign", "for", dirSupport, kindVerb},
	{"rally", "behind", dirSupport, kindVerb}, {"rally", "around", dirSupport, kindVerb},
	{"throw|throws|threw|throwing", "weight behind", dirSupport, kindVerb},
	{"get|gets|got|getting", "behind", dirSupport, kindVerb},
	{"come|comes|came|coming", "out for", dirSupport, kindVerb},

	// Directives: HOLDER verb TARGET to VERB.
	{"urge", "", dirNeutral, kindDirective}, {"call", "on", dirNeutral, kindDirective},
	{"call", "upon", dirNeutral, kindDirective}, {"ask", "", dirNeutral, kindDirective},
	{"press", "", dirNeutral, kindDirective}, {"pressure", "", dirNeutral, kindDirective},
	{"push", "", dirNeutral, kindDirective}, {"encourage", "", dirNeutral, kindDirective},
	{"warn", "", dirNeutral, kindDirective}, {"implore", "", dirNeutral, kindDirective},
	{"demand", "", dirNeutral, kindDirective}, {"appeal", "to", dirNeutral, kindDirective},
	{"tell|tells|told|telling", "", dirNeutral, kindDirective}, {"invite", "", dirNeutral, kindDirective},
	{"order", "", dirNeutral, kindDirective},

	// Receiving a stance: TARGET verb NOUN of|from HOLDER.
	{"win|wins|won|winning", "", dirNeutral, kindReceive}, {"gain", "", dirNeutral, kindReceive},
	{"secure", "", dirNeutral, kindReceive}, {"receive", "", dirNeutral, kindReceive},
	{"get|gets|got|getting", "", dirNeutral, kindReceive}, {"earn", "", dirNeutral, kindReceive},
	{"enjoy", "", dirNeutral, kindReceive}, {"draw|draws|drew|drawing", "", dirNeutral, kindReceive},
	{"attract", "", dirNeutral, kindReceive}, {"face", "", dirNeutral, kindReceive},
	{"come|comes|came|coming", "under", dirNeutral, kindReceive}, {"incur|incurs|incurred|incurring", "", dirNeutral, kindReceive},
	{"spark", "", dirNeutral, kindReceive}, {"provoke", "", dirNeutral, kindReceive},
	{"drawn", "", dirNeutral, kindReceive},

	// Giving a stance: HOLDER verb NOUN to|for TARGET.
	{"give|gives|gave|giving", "", dirNeutral, kindGive}, {"express", "", dirNeutral, kindGive},
	{"voice", "", dirNeutral, kindGive}, {"pledge", "", dirNeutral, kindGive},
	{"offer", "", dirNeutral, kindGive}, {"lend|lends|lent|lending", "", dirNeutral, kindGive},
	{"declare", "", dirNeutral, kindGive}, {"reaffirm", "", dirNeutral, kindGive},
	{"signal", "", dirNeutral, kindGive}, {"show", "", dirNeutral, kindGive},
	{"extend", "", dirNeutral, kindGive}, {"heap", "", dirNeutral, kindGive},
	{"pour", "", dirNeutral, kindGive}, {"grant", "", dirNeutral, kindGive},
	{"provide", "", dirNeutral, kindGive}, {"impose", "", dirNeutral, kindGive},
	{"slap|slaps|slapped|slapping", "", dirNeutral, kindGive}, {"level|levels|levelled|levelling", "", dirNeutral, kindGive},
	{"-|-|leveled|leveling", "", dirNeutral, kindGive},
	{"withhold|withholds|withheld|withholding", "", dirOppose, kindGive},
	{"deny|denies|denied|denying", "", dirOppose, kindGive},

	// Negating verbs: they turn the cue that follows them.
	{"refuse", "", dirOppose, kindNegating}, {"decline", "", dirOppose, kindNegating},
	{"fail", "", dirOppose, kindNegating}, {"reluctant", "", dirOppose, kindNegating},
	{"unwilling", "", dirOppose, kindNegating}, {"hesitate", "", dirOppose, kindNegating},
	{"stop|stops|stopped|stopping", "short of", dirOppose, kindNegating},
}

// Stance nouns, for kindReceive, kindGive and the possessive
// "HOLDER's NOUN of|for|on TARGET".
var stanceNouns = map[string]int8{
	"support": dirSupport, "backing": dirSupport, "praise": dirSupport, "endorsement": dirSupport,
	"approval": dirSupport, "blessing": dirSupport, "recognition": dirSupport, "plaudits": dirSupport,
	"applause": dirSupport, "acclaim": dirSupport, "admiration": dirSupport, "solidarity": dirSupport,
	"sympathy": dirSupport, "confidence": dirSupport, "trust": dirSupport, "help": dirSupport,
	"assistance": dirSupport, "aid": dirSupport, "thanks": dirSupport, "congratulations": dirSupport,
	"vote": dirSupport, "votes": dirSupport, "tribute": dirSupport, "tributes": dirSupport,
	"criticism": dirOppose, "condemnation": dirOppose, "fire": dirOppose, "rebuke": dirOppose,
	"scorn": dirOppose, "ire": dirOppose, "wrath": dirOppose, "anger": dirOppose, "backlash": dirOppose,
	"opposition": dirOppose, "censure": dirOppose, "sanctions": dirOppose, "attack": dirOppose,
	"attacks": dirOppose, "flak": dirOppose, "criticisms": dirOppose, "complaints": dirOppose,
	"condemnations": dirOppose, "rebukes": dirOppose, "outrage": dirOppose, "protests": dirOppose,
	"hostility": dirOppose, "contempt": dirOppose, "disapproval": dirOppose, "pressure": dirOppose,
	"lawsuit": dirOppose, "challenge": dirOppose, "threats": dirOppose, "boycott": dirOppose,
}

// Relation nouns: "X, a critic of Y", "Kremlin critic X".
var roleNouns = map[string]int8{
	"critic": dirOppose, "critics": dirOppose, "opponent": dirOppose, "opponents": dirOppose,
	"foe": dirOppose, "foes": dirOppose, "enemy": dirOppose, "enemies": dirOppose,
	"adversary": dirOppose, "rival": dirOppose, "rivals": dirOppose, "detractor": dirOppose,
	"nemesis": dirOppose, "ally": dirSupport, "allies": dirSupport, "supporter": dirSupport,
	"supporters": dirSupport, "backer": dirSupport, "backers": dirSupport, "loyalist": dirSupport,
	"loyalists": dirSupport, "friend": dirSupport, "defender": dirSupport, "admirer": dirSupport,
	"confidant": dirSupport, "confidante": dirSupport, "protege": dirSupport, "protégé": dirSupport,
}

// Loss nouns turn a stance toward their owner: regretting X's absence is
// wanting X there; welcoming X's resignation is wanting X gone.
var lossNouns = []string{
	"absence", "departure", "resignation", "exit", "defeat", "death", "ouster", "removal",
	"withdrawal", "fall", "arrest", "detention", "imprisonment", "jailing", "killing", "murder",
	"execution", "expulsion", "dismissal", "sacking", "firing", "downfall", "loss", "exclusion",
	"suffering", "plight", "conviction", "sentencing", "persecution", "assassination",
}

// Complement verbs in "urged Y to VERB": what the holder wants of the target.
var complementVerbs = map[string]int8{
	"resign": dirOppose, "quit": dirOppose, "step": dirOppose, "stop": dirOppose, "halt": dirOppose,
	"cease": dirOppose, "end": dirOppose, "withdraw": dirOppose, "release": dirOppose,
	"free": dirOppose, "drop": dirOppose, "abandon": dirOppose, "reverse": dirOppose,
	"apologise": dirOppose, "apologize": dirOppose, "scrap": dirOppose, "leave": dirOppose,
	"retract": dirOppose, "refrain": dirOppose, "desist": dirOppose, "back": dirOppose,
	"stay": dirSupport, "continue": dirSupport, "remain": dirSupport,
	"run": dirSupport, "lead": dirSupport, "return": dirSupport,
}

// Words the extractors need to recognise by class.
var (
	negators = []string{"not", "n't", "never", "no", "neither", "nor", "without", "cannot",
		"hardly", "barely", "scarcely", "nothing", "nobody", "none", "nowhere", "rarely", "seldom"}
	reportingVerbs = []string{"said", "says", "say", "told", "tells", "added", "according",
		"stated", "claimed", "claims", "argued", "argues", "wrote", "writes", "noted", "explained",
		"insisted", "insists", "declared", "announced", "asserted", "tweeted", "acknowledged"}
	pronouns = []string{"he", "she", "it", "they", "him", "her", "them", "his", "its", "their",
		"we", "us", "our", "i", "me", "my", "you", "your", "who", "whom"}
	determiners = []string{"the", "a", "an", "this", "that", "these", "those", "his", "her",
		"its", "their", "our", "my", "your", "some", "any", "every", "each", "all", "both",
		"several", "many", "most", "other", "such", "no"}
	auxiliaries = []string{"is", "are", "was", "were", "be", "been", "being", "has", "have",
		"had", "having", "do", "does", "did", "will", "would", "shall", "should", "can", "could",
		"may", "might", "must", "'s", "'re", "'ve", "'ll", "'d", "to", "ready", "willing",
		"prepared", "able", "going", "set", "expected", "likely", "about", "poised"}
	adverbs = []string{"also", "yet", "still", "already", "now", "again", "then", "repeatedly",
		"publicly", "openly", "strongly", "sharply", "roundly", "fiercely", "bitterly", "quickly",
		"swiftly", "previously", "recently", "once", "later", "formally", "officially",
		"firmly", "warmly", "effectively", "reportedly", "allegedly", "initially", "ultimately",
		"just", "even", "first", "immediately", "vehemently", "loudly", "furiously", "heavily",
		"always", "often", "twice", "last", "tuesday", "monday", "wednesday", "thursday",
		"friday", "saturday", "sunday", "on", "yesterday", "today", "tonight", "earlier"}
	butWords     = []string{"but", "however", "although", "though", "whereas", "while"}
	prepositions = []string{"in", "on", "at", "of", "for", "from", "with", "to", "into", "over",
		"after", "before", "during", "since", "until", "about", "against", "among", "between",
		"through", "under", "within", "without", "toward", "towards", "across", "amid", "despite",
		"by", "as", "than", "via", "upon", "behind"}
	relatives     = []string{"who", "which", "that", "whose", "whom", "where", "when"}
	ands          = []string{"and", "or", "nor", "&"}
	subordinators = []string{"after", "before", "because", "when", "since", "until", "unless",
		"if", "as", "whether", "once", "despite", "although", "though", "while", "whereas"}
)

// Anaphors: pronouns and the nouns that, after "the", usually refer back to
// a named organisation or country.
var anaphors = map[string]uint8{
	"he": anaPerson | anaSubject, "she": anaPerson | anaSubject, "him": anaPerson | anaObject,
	"her": anaPerson | anaObject, "it": anaThing | anaSubject | anaObject,
	"they": anaGroup | anaSubject, "them": anaGroup | anaObject,
	"group": anaOrg, "movement": anaOrg, "militants": anaOrg, "organisation": anaOrg,
	"organization": anaOrg, "company": anaOrg, "firm": anaOrg, "party": anaOrg, "club": anaOrg,
	"team": anaOrg, "side": anaOrg, "alliance": anaOrg, "bloc": anaOrg, "union": anaOrg,
	"militia": anaOrg, "insurgents": anaOrg, "bank": anaOrg, "carrier": anaOrg, "insurer": anaOrg,
	"lender": anaOrg, "retailer": anaOrg, "airline": anaOrg, "automaker": anaOrg, "carmaker": anaOrg,
	"country": anaPlace, "nation": anaPlace, "kingdom": anaPlace, "republic": anaPlace,
}
