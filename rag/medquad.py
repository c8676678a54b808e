"""MedQuAD loading: upstream XML (folder, zip archive or download) to answered records.

MedQuAD ships three XML variants: the standard ``<Document>``, lower-case ``<doc>``/``<pair>``
files in NINDS, and one ``<DiseaseFile>`` in CDC. They all become :class:`Record`s with a stable
id ``<folder>/<file stem>#<qid>`` (a ``qid`` alone repeats across folders). Pairs without an
answer, exact duplicates and unreadable files are counted in a :class:`LoadReport`, never fatal.
"""

from __future__ import annotations

import hashlib
import logging
import urllib.request
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree as ET

from tqdm.auto import tqdm

from rag.cache import cache_dir as default_cache_dir
from rag.cache import written_atomically
from rag.spelling import english_counts
from rag.text import GlueRepair, clean_answer, word_counts

log = logging.getLogger(__name__)

UPSTREAM_ZIP_URL = "https://github.com/abachaa/MedQuAD/archive/refs/heads/master.zip"
DEFAULT_LOCAL_SOURCE = Path(__file__).resolve().parent.parent.parent / "shared/datasets/MedQuAD"

# Readable names for the ``source`` attribute of each upstream file.
SOURCE_NAMES = {
    "CancerGov": "National Cancer Institute (cancer.gov)",
    "GARD": "Genetic and Rare Diseases Information Center (GARD)",
    "GHR": "Genetics Home Reference (MedlinePlus Genetics)",
    "MPlusHealthTopics": "MedlinePlus Health Topics",
    "MPlus Health Topics": "MedlinePlus Health Topics",
    "NIDDK": "National Institute of Diabetes and Digestive and Kidney Diseases (NIDDK)",
    "NINDS": "National Institute of Neurological Disorders and Stroke (NINDS)",
    "NIHSeniorHealth": "NIHSeniorHealth",
    "NHLBI": "National Heart, Lung, and Blood Institute (NHLBI)",
    "CDC": "Centers for Disease Control and Prevention (CDC)",
    "ADAM": "A.D.A.M. Medical Encyclopedia (MedlinePlus)",
    "MPlusDrugs": "MedlinePlus Drug Information",
    "MPlusHerbsSupplements": "MedlinePlus Herbs and Supplements",
}


class MedQuADError(RuntimeError):
    """A source that cannot be read at all (as opposed to one bad file, which is skipped)."""


@dataclass(frozen=True)
class Record:
    """One answered MedQuAD question-answer pair."""

    id: str  # "<folder>/<file stem>#<qid>", unique and stable across releases
    question: str
    qtype: str  # MedQuAD question type, e.g. "symptoms", "treatment"
    answer: str
    focus: str  # the disease, drug or topic the question is about
    url: str  # NIH page the answer comes from
    source: str  # readable source name
    synonyms: tuple[str, ...] = ()  # other names of the focus, lay names among them


@dataclass
class LoadReport:
    """What happened to every pair and file while loading."""

    files: int = 0
    pairs: int = 0
    records: int = 0
    empty_answers: int = 0
    duplicates: int = 0
    malformed_files: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.records} records from {self.pairs} pairs in {self.files} files; skipped "
            f"{self.empty_answers} empty answers, {self.duplicates} exact duplicates, "
            f"{len(self.malformed_files)} malformed files"
        )


def _text(el: ET.Element | None) -> str:
    return " ".join((el.text or "").split()) if el is not None else ""


def _find(root: ET.Element, *names: str) -> ET.Element | None:
    for name in names:
        el = root.find(f".//{name}")
        if el is not None:
            return el
    return None


def _texts(root: ET.Element, name: str) -> tuple[str, ...]:
    return tuple(t for el in root.iter(name) if (t := _text(el)))


# Three CDC documents have an empty <Focus> (their templated questions read "What is (are)  ?"):
# named here, or their sources are titled " — prevention" and name nothing.
MISSING_FOCUS = {
    "9_CDC_QA/0000199": "Childhood Vaccines",
    "9_CDC_QA/0000423": "VISA and VRSA",
    "9_CDC_QA/0000424": "Vancomycin-resistant Enterococci",
}


def parse_document(xml_bytes: bytes, folder: str, stem: str) -> list[dict]:
    """Parse one upstream file into raw pair dicts (answers may be empty).

    Raises ``ET.ParseError`` or ``ValueError`` for a file that is not MedQuAD XML.
    """
    root = ET.fromstring(xml_bytes)
    lower = root.tag == "doc"  # the NINDS variant uses lower-case tags throughout
    if root.tag not in {"Document", "DiseaseFile", "doc"}:
        raise ValueError(f"unknown root element <{root.tag}>")
    focus = _text(_find(root, "doctitle-focus" if lower else "Focus"))
    focus = focus or MISSING_FOCUS.get(f"{folder}/{stem}", "")
    source_key = root.get("corpus" if lower else "source", "")
    url = root.get("url", "")
    meta = {
        "focus": focus,
        "url": url,
        "source": SOURCE_NAMES.get(source_key, source_key),
        "synonyms": _texts(root, "Synonym"),
    }
    pairs = []
    for pair in root.iter("pair" if lower else "QAPair"):
        q = pair.find("question" if lower else "Question")
        a = pair.find("answer" if lower else "Answer")
        if q is None:
            continue
        qid = q.get("qid") or f"{stem}-{pair.get('pid', len(pairs) + 1)}"
        pairs.append(
            {
                "id": f"{folder}/{stem}#{qid}",
                "question": _text(q),
                "qtype": (q.get("qtype") or "information").strip(),
                "answer": clean_answer(a.text or "") if a is not None else "",
                **meta,
            }
        )
    return pairs


def _iter_folder(root: Path) -> Iterator[tuple[str, str, bytes]]:
    files = sorted(root.glob("*/*.xml"))
    if not files:
        raise MedQuADError(f"no MedQuAD XML files under {root} (expected <folder>/<file>.xml)")
    for path in tqdm(files, desc="Reading MedQuAD", unit="file", mininterval=1.0):
        yield path.parent.name, path.stem, path.read_bytes()


def _iter_zip(path: Path) -> Iterator[tuple[str, str, bytes]]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise MedQuADError(f"{path} is not a readable zip archive ({exc})") from exc
    with archive:
        names = sorted(n for n in archive.namelist() if n.endswith(".xml"))
        # Upstream archives nest files as <top>/<folder>/<file>.xml; keep the last two parts.
        names = [n for n in names if len(PurePosixPath(n).parts) >= 2]
        if not names:
            raise MedQuADError(f"no MedQuAD XML files inside {path}")
        for name in tqdm(names, desc="Reading MedQuAD zip", unit="file", mininterval=1.0):
            p = PurePosixPath(name)
            yield p.parent.name, p.stem, archive.read(name)


def download(
    url: str = UPSTREAM_ZIP_URL, cache_dir: Path | None = None, timeout: float = 60
) -> Path:
    """Download the upstream archive once into ``cache_dir`` (default: MedGround's cache); a
    partial download never stays."""
    cache_dir = cache_dir or default_cache_dir()
    target = cache_dir / ("medquad-" + hashlib.sha256(url.encode()).hexdigest()[:12] + ".zip")
    if target.exists():
        return target
    try:
        with written_atomically(target) as tmp:
            with urllib.request.urlopen(url, timeout=timeout) as resp, open(tmp, "wb") as out:
                total = int(resp.headers.get("Content-Length") or 0) or None
                with tqdm(
                    total=total, unit="B", unit_scale=True, desc="Downloading MedQuAD"
                ) as bar:
                    while chunk := resp.read(1 << 16):
                        out.write(chunk)
                        bar.update(len(chunk))
            if not zipfile.is_zipfile(tmp):
                raise MedQuADError(f"{url} did not return a zip archive")
    except OSError as exc:
        raise MedQuADError(f"could not download MedQuAD from {url}: {exc}") from exc
    return target


def resolve_source(source: str | Path | None) -> Path:
    """A folder or zip path as given, a URL downloaded, or the local shared copy, else upstream."""
    if source is None:
        if DEFAULT_LOCAL_SOURCE.is_dir():
            return DEFAULT_LOCAL_SOURCE
        return download()
    text = str(source)
    if text.startswith(("http://", "https://")):
        return download(text)
    path = Path(text).expanduser()
    if not path.exists():
        raise MedQuADError(f"MedQuAD source not found: {path}")
    return path


def iter_files(source: Path) -> Iterator[tuple[str, str, bytes]]:
    if source.is_dir():
        return _iter_folder(source)
    if zipfile.is_zipfile(source):
        return _iter_zip(source)
    raise MedQuADError(f"{source} is neither a folder of MedQuAD XML nor a zip archive")


def build_records(
    files: Iterable[tuple[str, str, bytes]], report: LoadReport | None = None
) -> list[Record]:
    """Parse files into answered, de-duplicated records, counting everything skipped."""
    report = report if report is not None else LoadReport()
    seen_pairs: set[tuple[str, str]] = set()
    seen_ids: set[str] = set()
    records: list[Record] = []
    for folder, stem, data in files:
        report.files += 1
        try:
            pairs = parse_document(data, folder, stem)
        except (ET.ParseError, ValueError) as exc:
            report.malformed_files.append(f"{folder}/{stem}.xml")
            log.warning("skipping malformed file %s/%s.xml: %s", folder, stem, exc)
            continue
        for pair in pairs:
            report.pairs += 1
            if not pair["answer"]:
                report.empty_answers += 1
                continue
            key = (pair["question"].lower(), pair["answer"].lower())
            if key in seen_pairs or pair["id"] in seen_ids:
                report.duplicates += 1
                continue
            seen_pairs.add(key)
            seen_ids.add(pair["id"])
            records.append(Record(**pair))
    report.records = len(records)
    return repair_glued_words(records)


def repair_glued_words(records: list[Record]) -> list[Record]:
    """Put back em dashes and spaces deleted upstream, judged on the words of all loaded
    answers and SymSpell's English words."""
    english = frozenset(english_counts())
    repair = GlueRepair(word_counts(r.answer for r in records), english=english)
    return [replace(r, answer=repair(r.answer)) for r in records]


def load_records(source: str | Path | None = None) -> tuple[list[Record], LoadReport]:
    """Load answered records from a folder, zip, URL, or (default) the local/upstream copy."""
    report = LoadReport()
    records = build_records(iter_files(resolve_source(source)), report)
    if not records:
        raise MedQuADError(f"no answered question-answer pairs found ({report.summary()})")
    return records, report


def corpus_fingerprint(records: Iterable[Record]) -> str:
    """A hash of ids and answers: changes whenever the indexed corpus changes."""
    digest = hashlib.sha256()
    for r in records:
        digest.update(r.id.encode())
        digest.update(hashlib.sha256(r.answer.encode()).digest())
    return digest.hexdigest()[:16]
