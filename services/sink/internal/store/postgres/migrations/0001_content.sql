-- The content tables: one row per article holding its latest enrichment,
-- the entities seen in any article, which article mentions which entity and
-- how, and holder -> target stances. See docs/decisions/0003-storage.md.

CREATE TABLE articles (
    id               text COLLATE "C" PRIMARY KEY,
    url              text NOT NULL DEFAULT '',
    source           text NOT NULL,
    source_kind      text NOT NULL DEFAULT '',
    title            text NOT NULL DEFAULT '',
    body             text NOT NULL DEFAULT '',
    byline           text NOT NULL DEFAULT '',
    language         text NOT NULL DEFAULT '',
    published_at     timestamptz,
    fetched_at       timestamptz NOT NULL,
    -- article_time is when the article happened for charts: its publication
    -- time, or when it was fetched if it has none.
    article_time     timestamptz GENERATED ALWAYS AS (COALESCE(published_at, fetched_at)) STORED,
    content_hash     text NOT NULL DEFAULT '',
    schema_version   integer NOT NULL,
    enricher_version text COLLATE "C" NOT NULL,
    enriched_at      timestamptz NOT NULL,
    tone             double precision,
    stored_at        timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX articles_source_time ON articles (source, article_time);
CREATE INDEX articles_time ON articles (article_time);
CREATE INDEX articles_enriched_at ON articles (enriched_at);

CREATE TABLE entities (
    key      text COLLATE "C" PRIMARY KEY,
    name     text NOT NULL,
    type     text NOT NULL CHECK (type IN ('person', 'organization', 'location', 'misc')),
    kind     text NOT NULL DEFAULT '',
    country  text NOT NULL DEFAULT '',
    -- named_at is the enriched_at of the enrichment that set name, kind and
    -- country: an older enrichment does not rename an entity.
    named_at timestamptz NOT NULL
);

CREATE INDEX entities_type ON entities (type);

CREATE TABLE article_entities (
    article_id    text COLLATE "C" NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    entity_key    text COLLATE "C" NOT NULL REFERENCES entities (key),
    -- ord is the entity's position in the enriched event.
    ord           integer NOT NULL,
    -- name, kind and country as this article's enrichment gave them.
    name          text NOT NULL,
    kind          text NOT NULL DEFAULT '',
    country       text NOT NULL DEFAULT '',
    mention_count integer NOT NULL,
    -- mentions: [{"start": 0, "end": 6, "text": "Russia"}, ...], offsets in
    -- code points of the body, end exclusive, as in the event.
    mentions      jsonb NOT NULL,
    salience      double precision NOT NULL,
    -- polarity, score and evidence are NULL when the enricher gave no sentiment.
    polarity      text CHECK (polarity IN ('negative', 'neutral', 'positive')),
    score         double precision,
    -- evidence: [{"start": 10, "end": 80}, ...], sentence spans.
    evidence      jsonb,
    article_time  timestamptz NOT NULL,
    PRIMARY KEY (article_id, entity_key),
    CHECK ((polarity IS NULL) = (score IS NULL))
);

CREATE INDEX article_entities_entity_time ON article_entities (entity_key, article_time);
CREATE INDEX article_entities_time ON article_entities (article_time);

CREATE TABLE stances (
    article_id     text COLLATE "C" NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    ord            integer NOT NULL,
    holder         text COLLATE "C" NOT NULL,
    holder_name    text NOT NULL DEFAULT '',
    target         text COLLATE "C" NOT NULL,
    target_name    text NOT NULL DEFAULT '',
    stance         text NOT NULL CHECK (stance IN ('support', 'oppose', 'neutral')),
    cue            text NOT NULL DEFAULT '',
    sentence_start integer NOT NULL,
    sentence_end   integer NOT NULL,
    article_time   timestamptz NOT NULL,
    PRIMARY KEY (article_id, ord)
);

CREATE INDEX stances_target_time ON stances (target, article_time);
CREATE INDEX stances_holder_time ON stances (holder, article_time);
