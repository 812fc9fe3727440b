-- The content tables, as in the PostgreSQL store. Times are TEXT in UTC
-- with six fractional digits (2024-05-01T12:00:00.000000Z), so that text
-- order is time order; JSON columns are TEXT.

CREATE TABLE articles (
    id               TEXT PRIMARY KEY,
    url              TEXT NOT NULL DEFAULT '',
    source           TEXT NOT NULL,
    source_kind      TEXT NOT NULL DEFAULT '',
    title            TEXT NOT NULL DEFAULT '',
    body             TEXT NOT NULL DEFAULT '',
    byline           TEXT NOT NULL DEFAULT '',
    language         TEXT NOT NULL DEFAULT '',
    published_at     TEXT,
    fetched_at       TEXT NOT NULL,
    article_time     TEXT GENERATED ALWAYS AS (coalesce(published_at, fetched_at)) STORED,
    content_hash     TEXT NOT NULL DEFAULT '',
    schema_version   INTEGER NOT NULL,
    enricher_version TEXT NOT NULL,
    enriched_at      TEXT NOT NULL,
    tone             REAL,
    stored_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE INDEX articles_source_time ON articles (source, article_time);
CREATE INDEX articles_time ON articles (article_time);
CREATE INDEX articles_enriched_at ON articles (enriched_at);

CREATE TABLE entities (
    key      TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    type     TEXT NOT NULL CHECK (type IN ('person', 'organization', 'location', 'misc')),
    kind     TEXT NOT NULL DEFAULT '',
    country  TEXT NOT NULL DEFAULT '',
    named_at TEXT NOT NULL
) STRICT;

CREATE INDEX entities_type ON entities (type);

CREATE TABLE article_entities (
    article_id    TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    entity_key    TEXT NOT NULL REFERENCES entities (key),
    ord           INTEGER NOT NULL,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL DEFAULT '',
    country       TEXT NOT NULL DEFAULT '',
    mention_count INTEGER NOT NULL,
    mentions      TEXT NOT NULL CHECK (json_valid(mentions)),
    salience      REAL NOT NULL,
    polarity      TEXT CHECK (polarity IN ('negative', 'neutral', 'positive')),
    score         REAL,
    evidence      TEXT CHECK (json_valid(evidence)),
    article_time  TEXT NOT NULL,
    PRIMARY KEY (article_id, entity_key),
    CHECK ((polarity IS NULL) = (score IS NULL))
) STRICT, WITHOUT ROWID;

CREATE INDEX article_entities_entity_time ON article_entities (entity_key, article_time);
CREATE INDEX article_entities_time ON article_entities (article_time);

CREATE TABLE stances (
    article_id     TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    ord            INTEGER NOT NULL,
    holder         TEXT NOT NULL,
    holder_name    TEXT NOT NULL DEFAULT '',
    target         TEXT NOT NULL,
    target_name    TEXT NOT NULL DEFAULT '',
    stance         TEXT NOT NULL CHECK (stance IN ('support', 'oppose', 'neutral')),
    cue            TEXT NOT NULL DEFAULT '',
    sentence_start INTEGER NOT NULL,
    sentence_end   INTEGER NOT NULL,
    article_time   TEXT NOT NULL,
    PRIMARY KEY (article_id, ord)
) STRICT, WITHOUT ROWID;

CREATE INDEX stances_target_time ON stances (target, article_time);
CREATE INDEX stances_holder_time ON stances (holder, article_time);
