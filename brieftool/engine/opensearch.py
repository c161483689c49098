"""The OpenSearch engine: a brief archive in one index of an OpenSearch cluster.

Location: ``opensearch://HOST:PORT/INDEX`` (``opensearchs://`` for https); user and password
from ``BRIEF_OPENSEARCH_USER`` / ``BRIEF_OPENSEARCH_PASSWORD`` (never printed). Needs
``pip install 'brief[opensearch]'`` (opensearch-py). Only this module imports opensearch-py.

Mapping: ``title``/``body`` with an English analyzer (possessives, lowercase, accent folding,
brief's stop words, Porter stemming; the title boosted 2x at query time) and an ``exact``
subfield (no stemming: phrases as typed, did-you-mean words); ``author``/``org`` as words;
``tag``/``type``/``author_key``/``org_key`` keywords with a lowercase+asciifolding normalizer and
``raw`` subfields (display, facets); ``date``/``added`` as dates; the whole record (with its
text) in ``rec``, stored, not indexed. One primary shard by default (BM25 statistics are per
shard). Writers need no lock: changes are sent with ``helpers.streaming_bulk`` on commit and the
index refreshed before the command returns; read-modify-write edits carry the ``if_seq_no`` /
``if_primary_term`` of the record they read, and a conflict makes the caller retry
(:class:`base.Conflict`).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from .. import querytree as T
from ..models import Brief, BriefError, UsageError
from . import base

FORMAT_VERSION = 1
SIMILAR_TERMS = 15
MAX_WINDOW = 10_000  # OpenSearch's index.max_result_window

try:  # the optional extra
    import opensearchpy
    from opensearchpy import OpenSearch, helpers
except ImportError:  # pragma: no cover - depends on the installation
    opensearchpy = None


def _stopwords() -> list[str]:
    return sorted(T.STOP_WORDS)


SETTINGS = {
    "number_of_shards": 1,
    "number_of_replicas": 0,
    "highlight.max_analyzed_offset": 100_000_000,
    "analysis": {
        "filter": {
            "brief_stop": {"type": "stop", "stopwords": _stopwords()},
            "brief_possessive": {"type": "stemmer", "language": "possessive_english"},
            "brief_min": {"type": "length", "min": 2},
        },
        "analyzer": {
            "brief_english": {"type": "custom", "tokenizer": "standard",
                              "filter": ["brief_possessive", "lowercase", "asciifolding", "brief_stop", "brief_min",
                                         "porter_stem"]},
            "brief_exact": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding"]},
            "brief_names": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding"]},
        },
        "normalizer": {"brief_key": {"type": "custom", "filter": ["lowercase", "asciifolding"]}},
    },
}
_EXACT = {"exact": {"type": "text", "analyzer": "brief_exact"}}
_KEY = {"type": "keyword", "normalizer": "brief_key", "fields": {"raw": {"type": "keyword"}}}
MAPPING = {
    "_meta": {"brief": {"format": FORMAT_VERSION}},
    "dynamic": "strict",
    "properties": {
        "id": {"type": "keyword"},
        "title": {"type": "text", "analyzer": "brief_english", "fields": _EXACT},
        "body": {"type": "text", "analyzer": "brief_english", "fields": _EXACT},
        "author": {"type": "text", "analyzer": "brief_names"},
        "author_key": _KEY,
        "tag": _KEY,
        "type": {"type": "keyword", "normalizer": "brief_key"},
        "org": {"type": "text", "analyzer": "brief_names"},
        "org_key": _KEY,
        "date": {"type": "date", "format": "yyyy-MM-dd"},
        "year": {"type": "keyword"},
        "added": {"type": "date"},
        "title_sort": {"type": "keyword"},
        "source": {"type": "keyword"},
        "sha256": {"type": "keyword"},
        "raw_sha256": {"type": "keyword"},
        "rec": {"type": "object", "enabled": False},
    },
}
TITLE_BOOST = 2.0


def _need_client():
    if opensearchpy is None:
        raise BriefError("the OpenSearch engine needs opensearch-py: pip install 'brief[opensearch]'")


def parse_location(location: str) -> tuple[str, str, int, str]:
    """``opensearch://HOST:PORT/INDEX`` -> (scheme, host, port, index); UsageError when malformed."""
    u = urlsplit(location)
    scheme = {"opensearch": "http", "opensearchs": "https"}.get(u.scheme.lower())
    index = u.path.strip("/")
    try:
        port = u.port or 9200
    except ValueError:
        raise UsageError(f"bad OpenSearch location {location!r}: the port is not a number") from None
    if scheme is None or not u.hostname or not index or "/" in index:
        raise UsageError(f"bad OpenSearch location {location!r} (give opensearch://HOST:PORT/INDEX)")
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.\-]*", index):
        raise UsageError(f"bad OpenSearch index name {index!r} (lowercase letters, digits, '-', '_', '.')")
    return scheme, u.hostname, port, index


def _shown(location: str) -> str:
    """A location without any user:password in it (never printed)."""
    u = urlsplit(location)
    return f"{u.scheme}://{u.hostname}:{u.port or 9200}{u.path}"


# -- records <-> documents ------------------------------------------------------------------------
def brief_to_doc(b: Brief) -> dict:
    rec = base.record_dict(b)
    rec["text"] = b.text
    doc = {"id": b.id, "title": b.title, "body": b.body, "rec": rec,
           "title_sort": b.title.casefold() or "\uffff", "sha256": b.sha256}
    if b.source:
        doc["source"] = b.source
    if getattr(b, "raw_sha256", ""):
        doc["raw_sha256"] = b.raw_sha256
    if b.authors:
        doc["author"] = " ; ".join(b.authors)
        doc["author_key"] = [" ".join(a.replace(",", " ").split()) for a in b.authors]
    if b.tags:
        doc["tag"] = [" ".join(t.replace(",", " ").split()) for t in b.tags]
    if b.type:
        doc["type"] = b.type.replace(",", " ")
    if b.organization or b.org_abbr:
        doc["org"] = f"{b.organization} {b.org_abbr}".strip()
    if b.organization:
        doc["org_key"] = " ".join(b.organization.replace(",", " ").split())
    if b.date:
        doc["date"] = b.date.isoformat()
        doc["year"] = str(b.date.year)
    if b.added:
        doc["added"] = b.added.isoformat()
    return doc


def doc_to_brief(src: dict, doc_id: str | None = None) -> Brief:
    rec = dict(src["rec"])
    text = rec.pop("text", "")
    return base.brief_from_record(src.get("id") or doc_id, rec, text)


# -- the query tree -> query DSL ------------------------------------------------------------------
def _field(f: str) -> str:
    return f


def _boost(f: str) -> float:
    return TITLE_BOOST if f == "title" else 1.0


def _any(qs: list[dict]) -> dict:
    return qs[0] if len(qs) == 1 else {"bool": {"should": qs, "minimum_should_match": 1}}


def compile_query(node) -> dict | None:
    if node is None:
        return None
    return _c(node)


def _c(node) -> dict:
    if isinstance(node, T.Every):
        return {"match_all": {}}
    if isinstance(node, T.Nothing):
        return {"match_none": {}}
    if isinstance(node, T.And):
        must = [_c(c) for c in node.children if not isinstance(c, T.Not)]
        must_not = [_c(c.child) for c in node.children if isinstance(c, T.Not)]
        b: dict = {"must": must or [{"match_all": {}}]}
        if must_not:
            b["must_not"] = must_not
        return {"bool": b}
    if isinstance(node, T.Or):
        return {"bool": {"should": [_c(c) for c in node.children], "minimum_should_match": 1}}
    if isinstance(node, T.Not):
        return {"bool": {"must": [{"match_all": {}}], "must_not": [_c(node.child)]}}
    if isinstance(node, T.Term):
        return {"term": {node.field: {"value": node.value, "boost": node.boost}}}
    if isinstance(node, T.Text):
        return _any([{"match_phrase": {f: {"query": node.text, "boost": _boost(f)}}} for f in node.fields])
    if isinstance(node, T.Prefix):
        if all(f in T.TEXT_FIELDS for f in node.fields):
            p = node.text
            qs = []
            for f in node.fields:
                qs.append({"prefix": {f: {"value": p, "boost": _boost(f)}}})
                for k in range(max(4, len(p) - 3), len(p)):  # the stem may be shorter than the prefix
                    qs.append({"term": {f: {"value": p[:k], "boost": _boost(f)}}})
            return _any(qs)
        if all(f in T.NAME_FIELDS for f in node.fields):
            return _any([{"match_phrase_prefix": {f: {"query": node.text}}} for f in node.fields])
        return _any([{"prefix": {f: {"value": node.text}}} for f in node.fields])
    if isinstance(node, T.Fuzzy):
        if all(f in T.TEXT_FIELDS + T.NAME_FIELDS for f in node.fields):
            words = T.text_words(node.text) if node.fields[0] in T.TEXT_FIELDS else T.name_words(node.text)
            last = words[-1] if words else node.text
            dist = node.distance if node.distance is not None else (2 if len(last) >= 8 else 1)
            return _any([{"match": {f: {"query": node.text, "fuzziness": dist, "prefix_length": 1,
                                        "operator": "and", "boost": _boost(f)}}} for f in node.fields])
        return _any([{"fuzzy": {f: {"value": node.text, "fuzziness": node.distance or 1, "prefix_length": 1}}}
                     for f in node.fields])
    if isinstance(node, T.DateRange):
        r: dict = {}
        if node.start:
            r["gte"] = node.start.isoformat()
        if node.end:
            r["lte"] = node.end.isoformat()
        return {"range": {node.field: r}} if r else {"exists": {"field": node.field}}
    if isinstance(node, T.Missing):
        return {"bool": {"must_not": [{"exists": {"field": node.field}}]}}
    if isinstance(node, T.Like) and node.terms:  # the brief's key terms, as the Whoosh engine weighs them
        return _any([{"term": {f: {"value": w, "boost": wt * _boost(f)}}} for w, wt in node.terms
                     for f in ("body", "title")])
    if isinstance(node, T.Like):
        return {"more_like_this": {"fields": ["title", "body"], "like": [{"_id": node.brief_id}],
                                   "min_term_freq": 1, "min_doc_freq": 1, "max_query_terms": SIMILAR_TERMS,
                                   "minimum_should_match": "1"}}
    raise TypeError(f"cannot compile {node!r}")  # pragma: no cover


# -- reading --------------------------------------------------------------------------------------
class OSHit:
    __slots__ = ("id", "score", "source", "highlight", "seq_no", "primary_term")

    def __init__(self, h: dict):
        self.id = h["_id"]
        self.score = h.get("_score")
        self.source = h.get("_source") or {}
        self.highlight = h.get("highlight") or {}


def _sort(sort: str, reverse: bool) -> list:
    if sort == "date":
        return [{"date": {"order": "asc" if reverse else "desc", "missing": "_last"}}, {"id": "asc"}]
    if sort == "added":
        return [{"added": {"order": "asc" if reverse else "desc"}}, {"id": "asc"}]
    if sort == "title":
        return [{"title_sort": {"order": "desc" if reverse else "asc"}}, {"id": "asc"}]
    raise ValueError(f"unknown sort {sort!r}")


class OpenSearchReader(base.Reader):
    def __init__(self, archive: "OpenSearchArchive"):
        self.a = archive
        self.c = archive.client
        self.index = archive.index

    def _bool(self, query, flt=None, mask=None) -> dict:
        q = compile_query(query) if isinstance(query, T.Node) else query
        b: dict = {"must": [q]}
        if flt is not None:
            b["filter"] = [compile_query(flt) if isinstance(flt, T.Node) else flt]
        if mask is not None:
            if isinstance(mask, base.Found):
                b["must_not"] = [mask.handle]
            else:
                b["must_not"] = [compile_query(mask) if isinstance(mask, T.Node) else mask]
        return {"bool": b}

    def search(self, query, flt=None, *, sort: str = "relevance", reverse: bool = False,
               limit: int | None = None, mask=None) -> base.Found:
        q = self._bool(query, flt, mask)
        body: dict = {"query": q, "track_total_hits": True, "size": min(limit or MAX_WINDOW, MAX_WINDOW)}
        if sort != "relevance":
            body["sort"] = _sort(sort, reverse)
        else:
            from ..search import MARK_OFF, MARK_ON, SNIPPET_MAX

            body["highlight"] = {"type": "unified", "pre_tags": [MARK_ON], "post_tags": [MARK_OFF],
                                 "fields": {"body": {"fragment_size": SNIPPET_MAX, "number_of_fragments": 2}}}
        r = self.a._call(self.c.search, index=self.index, body=body)
        hits = [OSHit(h) for h in r["hits"]["hits"]]
        return base.Found(hits, r["hits"]["total"]["value"], q)

    def count(self, query, flt=None) -> int:
        return self.a._call(self.c.count, index=self.index, body={"query": self._bool(query, flt)})["count"]

    def brief(self, hit) -> Brief:
        return doc_to_brief(hit.source, hit.id)

    def get(self, brief_id: str) -> Brief | None:
        return self.a._get(brief_id)

    def facets(self, found) -> dict:
        qs = [f.handle for f in found]
        q = qs[0] if len(qs) == 1 else {"bool": {"should": qs, "minimum_should_match": 1}}
        aggs = {name: {"terms": {"field": f"{field}.raw", "size": 65_000}}
                for name, field in (("tags", "tag"), ("authors", "author_key"), ("organizations", "org_key"))}
        aggs["years"] = {"terms": {"field": "year", "size": 10_000}}
        r = self.a._call(self.c.search, index=self.index, body={"query": q, "size": 0, "aggs": aggs})
        out = {}
        for name in ("tags", "authors", "organizations", "years"):
            buckets = r["aggregations"][name]["buckets"]
            if name == "years":
                values = sorted(((b["key"], b["doc_count"]) for b in buckets), reverse=True)
            else:  # spellings of one name counted together, shown as most briefs write it
                per: dict[str, list] = {}
                for b in buckets:
                    e = per.setdefault(base.name_key(b["key"]), [0, []])
                    e[0] += b["doc_count"]
                    e[1].append((-b["doc_count"], b["key"]))
                values = [(min(sp)[1], n) for n, sp in per.values()]
                values.sort(key=lambda v: (-v[1], v[0].casefold()))
            out[name] = values
        return out

    def highlight_terms(self, query) -> set:
        return {"(the engine's highlighter)"}  # the hits carry their highlights

    def snippet(self, hit, body: str, terms, maxchars: int) -> str:
        frags = (hit.highlight or {}).get("body") if hit is not None else None
        return " … ".join(frags) if frags else ""

    def respell(self, word: str) -> str | None:
        if len(word) < 3 or word.isdigit() or not T.text_words(word):
            return None
        have = self.a._call(self.c.count, index=self.index,
                            body={"query": {"term": {"body.exact": word.lower()}}})["count"]
        if have >= 3:
            return None
        body = {"suggest": {"s": {"text": word.lower(), "term": {
            "field": "body.exact", "suggest_mode": "popular", "prefix_length": 1, "min_word_length": 3,
            "max_edits": 2 if len(word) >= 5 else 1, "sort": "frequency"}}}, "size": 0}
        r = self.a._call(self.c.search, index=self.index, body=body)
        for entry in r.get("suggest", {}).get("s", []):
            for opt in entry.get("options", []):
                if opt["text"] != word.lower() and opt.get("freq", 0) > have:
                    return opt["text"]
        return None

    def like(self, brief_id: str):
        source = self.a._get(brief_id)
        if source is None:
            return None
        text = f"{source.title}\n{source.body}"
        if not text.strip():
            return source, [], None
        kts = self.key_terms(text)
        if not kts:
            return source, [], T.Like(brief_id)  # no statistics: the engine's more_like_this
        return source, [w for w, _ in kts], T.Like(brief_id, tuple(kts))

    def key_terms(self, text: str, n: int = SIMILAR_TERMS) -> list[tuple[str, float]]:
        """The ``n`` most telling terms of ``text`` (as the body analyzer cuts it), weighed by the
        Bo1 model against the archive's term statistics, normalized as the Whoosh engine does
        (whoosh.classify.Expander), so that `similar` searches for the same terms on both engines."""
        import math

        r = self.a._call(self.c.termvectors, index=self.index,
                         body={"doc": {"body": text}, "fields": ["body"], "term_statistics": True,
                               "field_statistics": True, "positions": False, "offsets": False})
        terms = (r.get("term_vectors") or {}).get("body", {}).get("terms") or {}
        n_docs = max(1, self.a.count())
        scored, maxweight = [], 0.0
        for word, st in terms.items():
            cf = st.get("ttf") or 0
            if cf <= 0:
                continue  # not in the archive
            f = cf / n_docs
            score = st.get("term_freq", 1) * math.log((1.0 + f) / f, 2) + math.log(1.0 + f, 2)
            maxweight = max(maxweight, score)
            scored.append((score, word))
        if not scored:
            return []
        f = maxweight / n_docs
        norm = (maxweight * math.log((1.0 + f) / f) + math.log(1.0 + f)) / math.log(2.0)
        scored.sort(key=lambda x: (-x[0], x[1]))
        return [(w, sc / norm) for sc, w in scored[:n]]

    def ids_with(self, kind: str, key: str) -> list[str]:
        attr = base.NAME_KINDS[kind]
        out = []
        for src in self.a._scan({"match_all": {}}, ["id", f"rec.{attr}"]):
            v = src.get("rec", {}).get(attr)
            vals = v if isinstance(v, list) else ([v] if v else [])
            if any(base.name_key(x) == key for x in vals):
                out.append(src["id"])
        return out


# -- writing --------------------------------------------------------------------------------------
class OpenSearchWriter(base.Writer):
    """Changes collected, sent in one bulk request on commit; reads see the index plus them."""

    def __init__(self, archive: "OpenSearchArchive", *, dry: bool = False):
        self.a = archive
        self.dry = dry
        self._pending: dict[str, Brief | None] = {}
        self._versions: dict[str, tuple[int, int]] = {}  # id -> (seq_no, primary_term) as read
        self._by_sha: dict[str, str] = {}
        self._by_source: dict[str, str] = {}
        self._by_raw: dict[str, str] = {}
        self.changes = 0

    def _find(self, field: str, value: str, pending: dict) -> Brief | None:
        if value in pending:
            b = self._pending.get(pending[value])
            if b is not None:
                return b
        if not value:
            return None
        r = self.a._call(self.a.client.search, index=self.a.index,
                         body={"query": {"term": {field: value}}, "size": 5, "seq_no_primary_term": True})
        for h in r["hits"]["hits"]:
            if h["_id"] not in self._pending:
                self._versions.setdefault(h["_id"], (h["_seq_no"], h["_primary_term"]))
                return doc_to_brief(h["_source"], h["_id"])
        return None

    def find_sha(self, sha: str) -> Brief | None:
        return self._find("sha256", sha, self._by_sha)

    def find_source(self, source: str) -> Brief | None:
        return self._find("source", source, self._by_source)

    def find_raw(self, raw: str) -> Brief | None:
        return self._find("raw_sha256", raw, self._by_raw)

    def known_raw(self) -> set[str]:
        return {s.get("raw_sha256") for s in self.a._scan({"exists": {"field": "raw_sha256"}}, ["raw_sha256"])} - {None}

    def get(self, brief_id: str) -> Brief | None:
        if brief_id in self._pending:
            return self._pending[brief_id]
        got = self.a._get(brief_id, versions=self._versions)
        return got

    def id_taken(self, brief_id: str) -> bool:
        if brief_id in self._pending:
            return self._pending[brief_id] is not None
        return self.a._get(brief_id) is not None

    def put(self, b: Brief) -> None:
        if not b.id:
            raise ValueError("brief without id")
        self._pending[b.id] = b
        self._by_sha[b.sha256] = b.id
        if b.source:
            self._by_source[b.source] = b.id
        if getattr(b, "raw_sha256", ""):
            self._by_raw[b.raw_sha256] = b.id
        self.changes += 0 if self.dry else 1

    def delete(self, brief_id: str) -> None:
        self._pending[brief_id] = None
        self.changes += 0 if self.dry else 1

    def _actions(self):
        for bid, b in self._pending.items():
            act: dict = {"_index": self.a.index, "_id": bid}
            if bid in self._versions:  # read-modify-write: only over the record as it was read
                act["if_seq_no"], act["if_primary_term"] = self._versions[bid]
            if b is None:
                act["_op_type"] = "delete"
            else:
                act["_op_type"] = "index"
                act["_source"] = brief_to_doc(b)
            yield act

    def commit(self) -> None:
        if self.dry or not self._pending:
            return
        conflicts, errors = [], []
        for ok, item in helpers.streaming_bulk(self.a.client, self._actions(), raise_on_error=False,
                                               raise_on_exception=False, max_retries=3, chunk_size=200,
                                               request_timeout=120):
            if not ok:
                (op, res), = item.items()
                if res.get("status") == 409:
                    conflicts.append(res.get("_id"))
                elif not (op == "delete" and res.get("status") == 404):
                    errors.append(f"{res.get('_id')}: {res.get('error')}")
        self.a._refresh()
        self._pending.clear()
        self._versions.clear()
        self.changes = 0
        if conflicts:
            raise base.Conflict(conflicts)
        if errors:
            raise BriefError(f"OpenSearch refused {len(errors)} change(s): {errors[0]}")

    def cancel(self) -> None:
        self._pending.clear()
        self._versions.clear()
        self.changes = 0

    def known_keys(self) -> tuple[set[str], set[str], set[str]]:
        ids, shas, sources = set(self._pending), set(self._by_sha), set(self._by_source)
        for s in self.a._scan({"match_all": {}}, ["id", "sha256", "source"]):
            ids.add(s.get("id"))
            shas.add(s.get("sha256"))
            if s.get("source"):
                sources.add(s["source"])
        return ids, shas, sources

    def checkpoint(self, **kw) -> bool:
        if not self.changes:
            return False
        self.commit()
        self._by_sha.clear()
        self._by_source.clear()
        self._by_raw.clear()
        return True  # other writers may have written meanwhile


# -- the archive ----------------------------------------------------------------------------------
class OpenSearchArchive(base.Archive):
    engine = "opensearch"
    path = None

    def __init__(self, location: str, client, index: str):
        self.location = _shown(location)
        self.client = client
        self.index = index

    def _call(self, fn, **kw):
        try:
            return fn(**kw)
        except opensearchpy.ConnectionError as e:
            raise BriefError(f"OpenSearch at {self.location} is unreachable ({_reason(e)})") from None
        except opensearchpy.AuthenticationException:
            raise BriefError(f"OpenSearch at {self.location} refused the credentials "
                             "(set BRIEF_OPENSEARCH_USER and BRIEF_OPENSEARCH_PASSWORD)") from None
        except opensearchpy.NotFoundError:
            raise BriefError(f"no brief archive at {self.location} (the index does not exist)") from None
        except opensearchpy.TransportError as e:
            raise BriefError(f"OpenSearch at {self.location} failed: {_reason(e)}") from None

    @classmethod
    def _client(cls, location: str):
        _need_client()
        scheme, host, port, index = parse_location(location)
        user, pw = os.environ.get("BRIEF_OPENSEARCH_USER"), os.environ.get("BRIEF_OPENSEARCH_PASSWORD")
        kw = {"http_auth": (user, pw or "")} if user else {}
        client = OpenSearch(hosts=[{"host": host, "port": port, "scheme": scheme}], use_ssl=scheme == "https",
                            verify_certs=os.environ.get("BRIEF_OPENSEARCH_VERIFY", "1") != "0", timeout=30,
                            max_retries=2, retry_on_timeout=True, **kw)
        return client, index

    @classmethod
    def open(cls, location=None, *, create: bool = False) -> "OpenSearchArchive":
        location = str(location)
        client, index = cls._client(location)
        a = cls(location, client, index)
        info = a._call(client.info)
        version = str(info.get("version", {}).get("number", "0"))
        if info.get("version", {}).get("distribution") != "opensearch" or int(version.split(".")[0]) not in (2, 3):
            raise BriefError(f"{a.location} runs {info.get('version', {}).get('distribution', 'elasticsearch')} "
                             f"{version}; brief needs OpenSearch 2.x or 3.x")
        exists = a._call(client.indices.exists, index=index)
        if not exists:
            if not create:
                raise BriefError(f"no archive at {a.location} (add a brief first with 'brief add FILE', or pass "
                                 "--index)")
            with contextlib.suppress(opensearchpy.RequestError):  # two creating at once: one wins
                a._call(client.indices.create, index=index,
                        body={"settings": cls.settings(), "mappings": MAPPING})
            a._call(client.cluster.health, index=index, wait_for_status="yellow", timeout="30s",
                    request_timeout=40)
        m = a._call(client.indices.get_mapping, index=index)
        meta = next(iter(m.values()), {}).get("mappings", {}).get("_meta", {}).get("brief")
        if not isinstance(meta, dict) or "format" not in meta:
            raise UsageError(f"{a.location} is not a brief index (its mapping has no brief format); choose "
                             "another index name")
        if int(meta["format"]) > FORMAT_VERSION:
            raise BriefError(f"archive {a.location} has format {meta['format']}, newer than this brief "
                             f"understands ({FORMAT_VERSION}); upgrade brief")
        return a

    @staticmethod
    def settings() -> dict:
        s = dict(SETTINGS)
        s["number_of_shards"] = int(os.environ.get("BRIEF_OPENSEARCH_SHARDS", "1"))
        s["number_of_replicas"] = int(os.environ.get("BRIEF_OPENSEARCH_REPLICAS", "0"))
        return s

    # reading -----------------------------------------------------------------------------
    def _refresh(self) -> None:
        self._call(self.client.indices.refresh, index=self.index)

    def _get(self, brief_id: str, versions: dict | None = None) -> Brief | None:
        try:
            r = self.client.get(index=self.index, id=brief_id)
        except opensearchpy.NotFoundError:
            return None
        except opensearchpy.ConnectionError as e:
            raise BriefError(f"OpenSearch at {self.location} is unreachable ({_reason(e)})") from None
        except opensearchpy.TransportError as e:
            raise BriefError(f"OpenSearch at {self.location} failed: {_reason(e)}") from None
        if versions is not None:
            versions.setdefault(brief_id, (r["_seq_no"], r["_primary_term"]))
        return doc_to_brief(r["_source"], r["_id"])

    def _scan(self, query: dict, fields: list[str] | None = None) -> Iterator[dict]:
        kw = {"_source": fields} if fields is not None else {}
        try:
            for h in helpers.scan(self.client, index=self.index, query={"query": query, **kw},
                                  preserve_order=False, size=500, scroll="2m"):
                yield h["_source"]
        except opensearchpy.ConnectionError as e:
            raise BriefError(f"OpenSearch at {self.location} is unreachable ({_reason(e)})") from None

    def count(self) -> int:
        return self._call(self.client.count, index=self.index)["count"]

    def get(self, brief_id: str) -> Brief:
        b = self._get(brief_id)
        if b is None:
            raise UsageError(f"no brief with id {brief_id!r}")
        return b

    def resolve(self, prefix: str) -> str:
        p = prefix.strip().lower()
        if not p:
            raise UsageError("empty id")
        if self._get(p) is not None:
            return p
        r = self._call(self.client.search, index=self.index,
                       body={"query": {"prefix": {"id": p}}, "size": 6, "_source": ["id"]})
        matches = sorted(h["_id"] for h in r["hits"]["hits"])
        if not matches:
            raise UsageError(f"no brief with id {prefix!r}")
        if len(matches) > 1:
            shown = ", ".join(matches[:5])
            raise UsageError(f"id {prefix!r} is ambiguous: it matches {shown}{'…' if len(matches) > 5 else ''}")
        return matches[0]

    def records(self, errors: list[str] | None = None) -> Iterator[Brief]:
        for src in self._scan({"match_all": {}}):
            try:
                yield doc_to_brief(src)
            except Exception as e:
                msg = f"record {src.get('id', '?')!r} cannot be read ({type(e).__name__}: {e})"
                if errors is None:
                    raise BriefError(msg) from None
                errors.append(msg)

    def tag_keys(self) -> list[str]:
        r = self._call(self.client.search, index=self.index,
                       body={"size": 0, "aggs": {"t": {"terms": {"field": "tag.raw", "size": 65_000}}}})
        return sorted({base.name_key(b["key"]) for b in r["aggregations"]["t"]["buckets"]})

    def source_stats(self):
        out = {}
        for src in self._scan({"exists": {"field": "source"}},
                              ["id", "rec.source", "rec.source_size", "rec.source_mtime_ns", "rec.title"]):
            rec = src.get("rec") or {}
            if rec.get("source"):
                out[rec["source"]] = (rec.get("source_size"), rec.get("source_mtime_ns"), src["id"],
                                      rec.get("title", ""))
        return out

    @contextlib.contextmanager
    def reader(self):
        yield OpenSearchReader(self)

    # writing -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def writer(self, *, lock_timeout: float = 30.0, on_wait=None, **kw):
        w = OpenSearchWriter(self)
        try:
            yield w
        except BaseException:
            w.cancel()
            raise
        else:
            w.commit()

    def dry_writer(self):
        return OpenSearchWriter(self, dry=True)

    # maintenance -------------------------------------------------------------------------
    def size_bytes(self) -> int:
        r = self._call(self.client.indices.stats, index=self.index, metric="store")
        return int(r["_all"]["primaries"]["store"]["size_in_bytes"])

    def _scan_versions(self) -> Iterator[dict]:
        """Every document with its ``_id``, ``_seq_no`` and ``_primary_term``."""
        try:
            yield from helpers.scan(self.client, index=self.index, preserve_order=False, size=500, scroll="2m",
                                    query={"query": {"match_all": {}}, "seq_no_primary_term": True})
        except opensearchpy.ConnectionError as e:
            raise BriefError(f"OpenSearch at {self.location} is unreachable ({_reason(e)})") from None

    def _mapping_gaps(self) -> list[str]:
        """Fields of this brief's mapping that the index lacks or types differently."""
        m = self._call(self.client.indices.get_mapping, index=self.index)
        have = next(iter(m.values()), {}).get("mappings", {}).get("properties", {})
        return [f"{k} ({v.get('type', 'object')})" for k, v in MAPPING["properties"].items()
                if have.get(k, {}).get("type", "object") != v.get("type", "object")]

    def _analysis_differs(self) -> bool:
        st = self._call(self.client.indices.get_settings, index=self.index)
        analysis = next(iter(st.values()), {}).get("settings", {}).get("index", {}).get("analysis", {})

        def norm(x):  # the settings API returns every value as a string
            if isinstance(x, dict):
                return {k: norm(v) for k, v in x.items()}
            if isinstance(x, list):
                return [norm(v) for v in x]
            return str(x).lower()

        return norm(analysis) != norm(SETTINGS["analysis"])

    def reindex(self, *, drop_bad: bool = False, lock_timeout: float = 30.0, on_wait=None, on_progress=None):
        """Bring the index in step with this brief, in place (no new index is built, nothing is
        swapped): fields this brief's mapping adds are added to the index's mapping, and every
        document whose search fields differ from what its stored record gives today is written
        again from the record, each only over the version read (a brief changed meanwhile by
        another writer was written by then and is left as it is). Records that cannot be read
        stop it (nothing is changed) unless ``drop_bad``: then they are deleted. Analysis
        settings (stop words, stemming) cannot change on an open index: a difference is an
        error that says to export and import into a new index."""
        from ..maintain import ReindexResult, record_from_json, record_to_json

        if self._analysis_differs():
            raise BriefError(f"{self.location} analyzes text differently from this brief (its analysis settings "
                             "are older); export it and import into a new index: brief --index OLD export | "
                             "brief --index NEW import -")
        try:
            self.client.indices.put_mapping(index=self.index, body={"properties": MAPPING["properties"]})
        except opensearchpy.RequestError as e:
            raise BriefError(f"{self.location}: the index cannot take this brief's mapping ({_reason(e)}); export "
                             "it and import into a new index") from None
        except opensearchpy.TransportError as e:
            raise BriefError(f"OpenSearch at {self.location} failed: {_reason(e)}") from None
        res = ReindexResult()
        bad: list[tuple[str, str]] = []
        w = OpenSearchWriter(self)
        for h in self._scan_versions():
            src, bid = h.get("_source") or {}, h["_id"]
            res.briefs += 1
            try:
                b = doc_to_brief(src, bid)
                record_from_json(record_to_json(b), strict=True)
            except Exception as e:
                bad.append((bid, f"record {bid!r} cannot be read ({type(e).__name__}: {str(e)[:120]})"))
                continue
            if on_progress:
                on_progress(res.briefs)
            if b.id != bid or brief_to_doc(b) != src:
                w._versions[bid] = (h["_seq_no"], h["_primary_term"])
                w.put(b)
        if bad and not drop_bad:
            raise BriefError(f"{len(bad)} record(s) cannot be read ({bad[0][1]}); nothing was changed")
        for bid, _ in bad:
            w.delete(bid)
        res.dropped = [msg for _, msg in bad]
        res.briefs -= len(bad)
        with contextlib.suppress(base.Conflict):  # changed meanwhile: already written by a current brief
            w.commit()
        return res

    @classmethod
    def check(cls, location):
        """Verify without changing anything: the index's health, mapping and analysis settings;
        every record complete, its text matching its sha256, its id its document's id, and its
        search fields what the record gives (else `brief reindex` rewrites it); the count."""
        from ..maintain import CheckReport, record_from_json, record_to_json

        a = cls.open(location)
        rep = CheckReport(a.location, format=FORMAT_VERSION)
        h = a._call(a.client.cluster.health, index=a.index)
        if h.get("status") == "red":
            rep.problems.append(f"the index is red: {h.get('unassigned_shards', '?')} shard(s) have no copy on any "
                                "node (start the missing nodes)")
        elif h.get("status") == "yellow":
            rep.notes.append(f"the index is yellow: {h.get('unassigned_shards', '?')} replica(s) not assigned "
                             "(fewer nodes than copies; searches still answer)")
        gaps = a._mapping_gaps()
        if gaps:
            rep.problems.append(f"the index mapping lacks or types differently: {', '.join(gaps[:8])} "
                                "(run brief reindex)")
        if a._analysis_differs():
            rep.problems.append("the index analyzes text differently from this brief: export it and import into a "
                                "new index")
        stale = 0
        for hit in a._scan_versions():
            src, bid = hit.get("_source") or {}, hit["_id"]
            rep.briefs += 1
            try:
                b = doc_to_brief(src, bid)
                record_from_json(record_to_json(b), strict=True)
            except Exception as e:
                if len(rep.problems) < 40:
                    rep.problems.append(f"brief {bid}: cannot be read ({type(e).__name__}: {str(e)[:120]})")
                continue
            if src.get("id") != bid or (src.get("rec") or {}).get("id", bid) != bid:
                rep.problems.append(f"brief {bid}: its record says id {src.get('id')!r} (run brief reindex)")
            elif brief_to_doc(b) != src:
                stale += 1
        if stale:
            rep.problems.append(f"{stale} brief(s) have search fields that differ from their records, so searches "
                                "may miss them (run brief reindex)")
        n = a.count()
        if n != rep.briefs:
            rep.problems.append(f"the index counts {n} briefs but {rep.briefs} could be read")
        return rep


def _reason(e) -> str:
    info = getattr(e, "info", None)
    if isinstance(info, dict) and isinstance(info.get("error"), dict):
        return str(info["error"].get("reason") or info["error"].get("type"))
    s = str(getattr(e, "error", "") or e)
    return s.splitlines()[0][:200] if s else type(e).__name__
