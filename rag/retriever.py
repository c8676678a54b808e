"""Retrieval: a person's message -> the best passage of each of the most relevant records.

The default ("fused") scores each candidate record by

    passage cosine + question_weight * cosine to MedQuAD's own question (question entailment)
    + bm25_weight * normalised BM25 + focus_bonus (the message names the record's condition)
    + qtype_bonus (the message asks the record's question type)

for each search text of the parsed message (``rag.query``), keeping the best. The weights are
chosen on the dev halves of ``rag/queries/messages.jsonl`` and ``common_conditions.jsonl``
by ``bench/retrieval_tune.py``.
``dense``, ``questions`` and ``bm25`` use one signal alone. A :class:`Hit` carries the record's
best passage, the score it was ranked by, and its passage cosine (the calibrated signal for "the
sources do not cover this").
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from rag.embedder import canonical_name, load_embedder
from rag.index import Index, IndexLoadError
from rag.missing import MissingNames
from rag.onnx_encoder import onnx_encoder
from rag.passage import Passage
from rag.query import Query, QueryParser, name_variants, read_lay_terms, singular, words
from rag.text import STOPWORDS

MODES = ("fused", "dense", "questions", "bm25")


@dataclass
class RetrievalConfig:
    """Retrieval (weights chosen on dev by bench/retrieval_tune.py)."""

    mode: str = field(default="fused", metadata={"choices": MODES})  # fused: all signals below
    candidates: int = 100  # passages and questions taken from each signal per search text
    question_weight: float = 0.6  # weight of the cosine to MedQuAD's own question
    bm25_weight: float = 0.2  # weight of BM25 (scaled to the best BM25 score of the search)
    focus_bonus: float = 0.1  # added when the message names the record's condition
    qtype_bonus: float = 0.08  # added when the message asks the record's question type
    # embed messages with ONNX Runtime (same vectors as sentence-transformers, about half the
    # time for one message; rag/onnx_encoder.py); False keeps sentence-transformers
    onnx: bool = True
    # with onnx: the message embedded by an int8 copy of that encoder (passages stay fp32):
    # searches about 1.4x faster, but dev hit@1 1.7 points lower, beyond the one point
    # allowed (bench/retrieval.py), so it is off
    query_int8: bool = False
    ef_search: int = 256  # HNSW search breadth (larger: closer to exact, slower); dev-chosen
    # OpenBLAS threads for the whole process (0: its default, one per core). A search's matrix
    # products are tiny, and after each one OpenBLAS's idle threads spin for milliseconds on the
    # cores ONNX Runtime embeds the next message on and llama.cpp answers on: on two cores,
    # search p50 about 1.5x longer with the default (bench/retrieval_threads.py)
    blas_threads: int = 1
    # a record is shown by its answer's first passage when that passage's cosine is within this
    # margin of the record's best: an answer's opening states the answer ("Shingles is…"),
    # a later passage its details ("In a very small number of cases…"). Ranking and the
    # "not in my sources" cosine stay the record's best. 0 shows the best passage. Chosen on
    # dev answers (0, 0.05, 0.1; docs/results/answers_dev_lead_passage.json)
    lead_margin: float = 0.1
    # a record shown by its opening also keeps its closest passage, joined after it as one
    # text: "can you get shingles twice" is answered in a later passage ("a person can have a
    # second or even a third episode"), which the opening alone drops
    lead_join: bool = True


@dataclass(frozen=True)
class Hit:
    """One retrieved record, represented by its best-matching passage."""

    passage: Passage
    rank_score: float  # what the mode ranked by (fused score, a cosine or a BM25 score)
    cosine: float  # cosine similarity of the search and the passage, in [-1, 1]
    named: bool = False  # the message (or the conversation it follows) names the record's focus

    def to_dict(self) -> dict:
        """The one serialization of a source, for the page, ``/ask`` and exports."""
        return {
            **self.passage.to_dict(),
            "rank_score": round(self.rank_score, 4),
            "cosine": round(self.cosine, 4),
            "named": self.named,
        }


class Retriever:
    """Search one index; load once, query many times (thread-safe for reads)."""

    def __init__(
        self, index: Index, embedder: str | None = None, config: RetrievalConfig | None = None
    ) -> None:
        manifest = index.manifest
        if embedder is not None and canonical_name(embedder) != canonical_name(manifest.embedder):
            raise IndexLoadError(
                f"index at {index.folder} was built with embedder {manifest.embedder}, "
                f"not {embedder}; rebuild it with --embedder {embedder} or drop --embedder"
            )
        self.index = index
        self.config = config or RetrievalConfig()
        if self.config.blas_threads:
            threadpool_limits(self.config.blas_threads, user_api="blas")
        for searched in (index.faiss, index.question_faiss):
            if hasattr(searched, "hnsw"):
                searched.hnsw.efSearch = self.config.ef_search
        self.model = load_embedder(manifest.embedder, int8=manifest.int8)
        if self.model.get_embedding_dimension() != manifest.dimension:
            raise IndexLoadError(
                f"embedder {manifest.embedder} gives vectors of another size than the index"
            )
        use_onnx = self.config.onnx and not manifest.int8
        self.encoder = onnx_encoder(self.model, int8=self.config.query_int8) if use_onnx else None
        self._records: list[str] = sorted({p.record_id for p in index.passages})
        number = {rid: i for i, rid in enumerate(self._records)}
        self._record_number = number
        self._passage_record = np.array([number[p.record_id] for p in index.passages])
        self._question_record = np.array([number[q.record_id] for q in index.questions])
        self._record_passages = _members(self._passage_record, len(self._records))
        self._record_questions = _members(self._question_record, len(self._records))
        self._question_vectors = index.question_faiss.reconstruct_n(0, index.question_faiss.ntotal)
        first = [index.passages[ps[0]] for ps in self._record_passages]
        self._qtypes = [p.qtype for p in first]
        self._names = [{v for n in (p.focus, *p.synonyms) for v in name_variants(n)} for p in first]
        names = {n for record_names in self._names for n in record_names}
        # A record's condition goes by the names all records about it give (only MedlinePlus's
        # Hemorrhoids record lists "piles"; NIDDK's treatment record is about piles too), and
        # "Tuberculosis (TB)" is about tuberculosis.
        self._focus_names = _per_condition(first, self._names)
        self._own_names = _per_condition(first, [name_variants(p.focus) for p in first])
        self.parser = QueryParser(
            {n for p in first for n in (p.focus, *p.synonyms)},
            _corpus_words(index.passages),
            self._generic(names),
            read_lay_terms(),
            _canonical(first),
            own_names={p.focus for p in first},
        )
        # Condition names the sources lack ("plantar fasciitis"): found by their parts otherwise.
        self.missing = MissingNames(
            [*(p.text for p in index.passages), *(q.text for q in index.questions)], self.parser
        )

    def _generic(self, names: set[str], share: float = 0.02) -> set[str]:
        """Condition names whose every word is in more than ``share`` of the passages of *other*
        conditions ("pain", "blood"): a name mentioned mostly in its own records stays specific,
        however large a part of a small index those records are. A name of two content words
        or more ("ear infection", "heart attack", "type 2 diabetes") stays specific when the
        phrase itself is that rare, however common its words are."""
        from rag.text import Stems

        stems = Stems()
        bm25 = self.index.bm25
        total = max(len(self.index.passages), 1)
        in_own: dict[str, int] = {}
        for record, record_names in enumerate(self._names):
            for n in record_names:
                in_own[n] = in_own.get(n, 0) + len(self._record_passages[record])

        def elsewhere(share_of_all: float, name: str) -> float:
            return share_of_all - in_own.get(name, 0) / total

        generic = {
            n
            for n in names
            if elsewhere(min((bm25.document_frequency(s) for s in stems(n)), default=1.0), n)
            > share
        }
        plain: dict[int, str] = {}  # passage -> its words, spaced, as names are written

        def text(i: int) -> str:
            if i not in plain:
                plain[i] = f" {' '.join(words(self.index.passages[i].text))} "
            return plain[i]

        for n in list(generic):
            content = [w for w in n.split() if len(w) >= 3 and w.isalpha() and w not in _NOT_NAMES]
            if len(content) < 2:
                continue  # "back", "3 m syndrome", "another syndrome"
            uses = sum(f" {n} " in text(i) for i in bm25.documents_with(stems(n)))
            if elsewhere(uses / total, n) <= share:
                generic.discard(n)
        return generic

    @property
    def passages(self) -> list[Passage]:
        return self.index.passages

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        # Large batches (evaluations, the safety examples) run as fast through
        # sentence-transformers, which shows progress; ONNX Runtime pays off for a few texts.
        if self.encoder is not None and len(texts) <= 1000:
            return self.encoder.encode(texts, batch_size)
        return self.model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=len(texts) > 1000,
        ).astype(np.float32)

    def search(
        self,
        message: str,
        k: int = 5,
        mode: str | None = None,
        history: list[str] | None = None,
        fill_gap: float | None = None,
        fill_merge: bool = False,
    ) -> list[Hit]:
        """The top-k records; with ``fill_gap``, records scoring that far below the best give
        their places to more passages of the best record (:meth:`fill`)."""
        query = self.parser.parse(message, history)
        return self.search_queries([query], k, mode, fill_gap, fill_merge)[0]

    def search_many(
        self, messages: list[str], k: int = 5, mode: str | None = None
    ) -> list[list[Hit]]:
        return self.search_queries([self.parser.parse(m) for m in messages], k, mode)

    def search_queries(
        self,
        queries: list[Query],
        k: int = 5,
        mode: str | None = None,
        fill_gap: float | None = None,
        fill_merge: bool = False,
    ) -> list[list[Hit]]:
        """Top-k records for each parsed query (``fill_gap``: see :meth:`search`)."""
        mode = mode or self.config.mode
        if mode not in MODES:
            raise ValueError(f"unknown retrieval mode {mode!r}; choose one of {MODES}")
        texts = [t for q in queries for t in q.texts]
        vectors = self.embed(texts)
        n = min(max(self.config.candidates, 4 * k), len(self.passages))
        if self.index.quick and mode == "dense":
            raise ValueError("a quick index has no passage vectors: use fused, questions or bm25")
        dense = mode != "bm25" and not self.index.quick
        dense_ids = self.index.faiss.search(vectors, n)[1] if dense else None
        question_ids = (
            self.index.question_faiss.search(vectors, n)[1]
            if mode in ("fused", "questions")
            else None
        )
        bm25 = self.index.bm25.search(texts, n) if mode in ("fused", "bm25") else None
        results, start = [], 0
        for q in queries:
            rows = range(start, start + len(q.texts))
            start += len(q.texts)
            hits = self._rank(q, rows, vectors, dense_ids, question_ids, bm25, k, mode)
            if fill_gap is not None:
                hits = self.fill(hits, vectors[list(rows)], fill_gap, merge=fill_merge)
            results.append(hits)
        return results

    def fill(
        self, hits: list[Hit], vectors: np.ndarray, gap: float, most: int = 2, merge: bool = False
    ) -> list[Hit]:
        """Give the places of records scoring ``gap`` or more below the best to up to ``most``
        more passages of the best record, closest to the search texts (``vectors``) first, right
        after it (with ``merge``, joined to its text: :meth:`_join`). "What is pink eye and how
        do you treat it" finds one record, Pinkeye, shown by its opening; its treatment is in a
        later passage, and the records after it (ligneous conjunctivitis, pterygium) do not
        answer."""
        if len(hits) < 2 or self.index.vectors is None:
            return hits
        top = hits[0]
        low = sum(h.rank_score <= top.rank_score - gap for h in hits[1:])
        members = self._record_passages[self._record_number[top.passage.record_id]]
        others = [  # not a passage the top record's text already holds (lead_join)
            int(i)
            for i in members
            if self.passages[int(i)].id != top.passage.id
            and self.passages[int(i)].text not in top.passage.text
        ]
        if not low or not others:
            return hits
        cosines = (self.index.vectors[others] @ vectors.T).max(axis=1)
        extra = [
            Hit(self.passages[others[j]], top.rank_score, float(cosines[j]), top.named)
            for j in np.argsort(-cosines, kind="stable")[: min(most, low)]
        ]
        rest = hits[1 : len(hits) - len(extra)]
        if merge:
            joined = self._join([top.passage, *(h.passage for h in extra)])
            return [dataclasses.replace(top, passage=joined), *rest]
        return [top, *extra, *rest]

    @staticmethod
    def _join(parts: list[Passage]) -> Passage:
        """Passages of one record as one source: the first one's identity (the passage shown),
        all their texts in the answer's order."""
        text = "\n".join(p.text for p in sorted(parts, key=lambda p: p.chunk))
        return dataclasses.replace(parts[0], text=text)

    def _rank(self, q: Query, rows, vectors, dense_ids, question_ids, bm25, k: int, mode: str):
        c = self.components(q, rows, vectors, dense_ids, question_ids, bm25)
        if not len(c["record"]):
            return []
        cfg = self.config
        if mode == "dense":
            score = c["passage_cos"]
        elif mode == "bm25":
            score = c["bm25"]
        elif mode == "questions":
            score = c["question_cos"]
        else:
            score = (
                c["passage_cos"]
                + cfg.question_weight * c["question_cos"]
                + cfg.bm25_weight * c["bm25"]
                + cfg.focus_bonus * c["focus"]
                + cfg.qtype_bonus * c["qtype"]
            )
        order = np.argsort(-score, kind="stable")[:k]
        shown = self._shown(
            c["record"][order], c["passage"][order], c["passage_cos"][order], vectors[list(rows)]
        )
        # A quick index has no passage vectors: its questions say how close the sources are.
        cosine = c["question_cos"] if self.index.quick else c["passage_cos"]
        return [
            Hit(
                self._joined(int(p), int(b)), float(score[i]), float(cosine[i]), bool(c["named"][i])
            )
            for i, p, b in zip(order, shown, c["passage"][order], strict=True)
        ]

    def _joined(self, shown: int, closest: int) -> Passage:
        """The passage that shows a record; with ``lead_join``, its opening followed by its
        closest passage when the opening was shown in that one's place."""
        if shown == closest or not self.config.lead_join:
            return self.passages[shown]
        return self._join([self.passages[shown], self.passages[closest]])

    def _shown(self, records, closest, cosines, vectors: np.ndarray) -> np.ndarray:
        """The passage that shows each ranked record: its answer's opening when that is within
        ``lead_margin`` of the record's ``closest`` passage (whose cosine is ``cosines``)."""
        if self.index.vectors is None or self.config.lead_margin <= 0 or not len(records):
            return closest
        lead = np.array([self._record_passages[r][0] for r in records.tolist()])
        lead_cos = (self.index.vectors[lead] @ vectors.T).max(axis=1)
        return np.where(lead_cos >= cosines - self.config.lead_margin, lead, closest)

    def components(self, q: Query, rows, vectors, dense_ids, question_ids, bm25) -> dict:
        """Every signal for each candidate record of one query (best over its search texts)."""
        candidates: set[int] = set()
        lexical: dict[int, float] = {}
        lexical_passage: dict[int, int] = {}
        for row in rows:
            if dense_ids is not None:
                ids = dense_ids[row][dense_ids[row] >= 0]
                candidates.update(self._passage_record[ids].tolist())
            if question_ids is not None:
                ids = question_ids[row][question_ids[row] >= 0]
                candidates.update(self._question_record[ids].tolist())
            if bm25 is not None:
                ids, scores = bm25[0][row], bm25[1][row]
                top = float(scores.max()) if len(scores) else 0.0
                for pid, score in zip(ids.tolist(), scores.tolist(), strict=True):
                    if score > 0 and top > 0:
                        r = int(self._passage_record[pid])
                        candidates.add(r)
                        if score / top > lexical.get(r, 0.0):
                            lexical[r], lexical_passage[r] = score / top, pid
        records = np.array(sorted(candidates), dtype=np.int64)
        texts = vectors[list(rows)].T
        out = {"record": records, "focus": np.zeros(len(records), np.float32)}
        if self.index.vectors is not None:
            out["passage_cos"], out["passage"] = self._best(
                self._record_passages, records, self.index.vectors, texts
            )
        else:
            out["passage_cos"] = np.zeros(len(records), np.float32)
            out["passage"] = np.array(
                [lexical_passage.get(r, self._record_passages[r][0]) for r in records.tolist()],
                dtype=np.int64,
            )
        out["question_cos"] = self._best(
            self._record_questions, records, self._question_vectors, texts
        )[0]
        out["bm25"] = np.array([lexical.get(r, 0.0) for r in records.tolist()], np.float32)
        foci = set(q.foci)
        if foci:
            out["focus"] = np.array([bool(self._names[r] & foci) for r in records], np.float32)
        # Named by a specific name: "pain" names the Pain records, but says little of the topic.
        specific = set(self.parser.specific(q.foci))
        out["named"] = np.array([bool(self._focus_names[r] & specific) for r in records], bool)
        # A message that names its condition only by a broad name ("signs of dementia") names
        # the records whose own name that is, not every record whose name contains it.
        broad = set() if specific else set(q.foci) & self.parser.generic
        out["named"] |= np.array([bool(self._own_names[r] & broad) for r in records], bool)
        out["qtype"] = np.array([self._qtypes[r] in q.qtypes for r in records], np.float32)
        return out

    @staticmethod
    def _best(groups: list[np.ndarray], records: np.ndarray, vectors: np.ndarray, texts):
        """For each record, the highest cosine of any of its vectors (passages or questions) to
        any search text, and which vector gave it: one matrix product for all candidates."""
        if not len(records):
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        members = [groups[r] for r in records.tolist()]
        sizes = np.array([len(m) for m in members])
        top = np.zeros(len(records), np.float32)
        chosen = np.zeros(len(records), np.int64)
        if not sizes.any():
            return top, chosen
        ids = np.concatenate(members)
        best = (vectors[ids] @ texts).max(axis=1)
        owner = np.repeat(np.arange(len(records)), sizes)
        filled = sizes > 0
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])[filled]
        top[filled] = np.maximum.reduceat(best, starts)
        # The first member of each record that reaches its record's highest cosine.
        first = np.flatnonzero(best == top[owner])
        _, at = np.unique(owner[first], return_index=True)
        chosen[filled] = ids[first[at]]
        return top, chosen

    def record_id(self, record: int) -> str:
        return self._records[record]


def _members(owner: np.ndarray, groups: int) -> list[np.ndarray]:
    """Row numbers of each group, in order: ``owner[i]`` is the group of row ``i``."""
    order = np.argsort(owner, kind="stable")
    return np.split(order, np.searchsorted(owner[order], np.arange(1, groups)))


def _per_condition(first: list[Passage], names: list[set[str]]) -> list[set[str]]:
    """Each record's names pooled with those of every record about the same condition."""
    pooled: dict[str, set[str]] = {}
    for p, record_names in zip(first, names, strict=True):
        pooled.setdefault(condition_key(p.focus), set()).update(record_names)
    return [pooled[condition_key(p.focus)] for p in first]


def _canonical(first: list[Passage]) -> dict[str, str]:
    """Synonyms that name one condition and are no record's own name -> that condition
    ("piles" -> "Hemorrhoids"; not "alzheimers": Alzheimer's Disease is a record of its own,
    though a rarer record lists it as a synonym)."""
    own = {v for p in first for v in name_variants(p.focus)}
    foci: dict[str, set[str]] = {}
    for p in first:
        for synonym in p.synonyms:
            for v in name_variants(synonym) - own:
                foci.setdefault(v, set()).add(p.focus.lower())
    return {v: next(iter(f)) for v, f in foci.items() if len(f) == 1}


# NIDDK titles some pages by what they tell of a condition: "What I need to know about Diarrhea".
_ABOUT = re.compile(
    r"^((what i need to know about|causes of|overview of|diagnosis of|treatment methods for|"
    r"am i at risk for|i can lower my risk for) |parasites (lice )?)"
)
# Words that do not make a name of their own words specific: "another syndrome"; "side
# effects", which any drug question says ("side effects of metformin" is not about Drug
# Reactions, and MedQuAD has no metformin: "not in my sources" is the honest answer).
_NOT_NAMES = STOPWORDS | {"another", "syndrome", "deficiency", "side"}
_WHO = re.compile(r" in (adults|children|children and teens|men|males|women|newborns)$")


def condition_key(focus: str) -> str:
    """One key for the records about one condition, however each source writes its name
    ("Tuberculosis (TB)", "What I need to know about Tuberculosis": "tuberculosis"; "Kidney
    Stones in Adults", "Parasites - Lice - Head Lice", "Urinary Tract Infection")."""
    key = _ABOUT.sub("", " ".join(words(re.sub(r"\([^)]*\)", " ", focus))))
    return singular(_WHO.sub("", key))


def _corpus_words(passages: list[Passage]) -> Counter[str]:
    """Every word of the indexed text with its count: only unknown words are taken for
    misspellings, and a correction prefers the words the sources use most."""
    found: Counter[str] = Counter()
    for p in passages:
        found.update(re.findall(r"[a-z0-9]+", p.text.lower()))
    return found
