"""MedQuAD parsing: the three XML variants, folder/zip/download sources, and bad input."""

from __future__ import annotations

import http.server
import threading
import zipfile
from functools import partial
from pathlib import Path

import pytest

from rag.medquad import (
    MedQuADError,
    build_records,
    corpus_fingerprint,
    download,
    load_records,
    parse_document,
)

STANDARD = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document id="0000344" source="GHR" url="https://ghr.nlm.nih.gov/condition/x">
<Focus>X syndrome</Focus>
<FocusAnnotations><UMLS><CUIs><CUI>C0000001</CUI></CUIs>
<SemanticTypes><SemanticType>T047</SemanticType></SemanticTypes>
<SemanticGroup>Disorders</SemanticGroup></UMLS>
<Synonyms><Synonym>X disease</Synonym></Synonyms></FocusAnnotations>
<QAPairs>
<QAPair pid="1"><Question qid="0000344-1" qtype="information">What is (are) X syndrome ?</Question>
<Answer>X syndrome is a condition.

It is rare.</Answer></QAPair>
<QAPair pid="2"><Question qid="0000344-2" qtype="symptoms">What are the symptoms of X ?</Question>
<Answer></Answer></QAPair>
</QAPairs></Document>"""

NINDS = b"""<?xml version="1.0" encoding="UTF-8"?>
<doc docid="0000007" corpus="NINDS" url="http://www.ninds.nih.gov/x.htm">
<doctitle-focus>Holmes-Adie</doctitle-focus>
<umls><cui></cui><semanticType></semanticType><semanticGroup></semanticGroup></umls>
<qaPairs><pair pid="1"><question qid="0000007-1" qtype="information">what is holmes-adie ?</question>
<answer>Holmes-Adie syndrome affects the pupil.</answer></pair></qaPairs></doc>"""

CDC = b"""<?xml version="1.0" encoding="UTF-8"?>
<DiseaseFile fid="0000397" source="CDC" url="http://www.cdc.gov/parasites/taeniasis/">
<Focus>Parasites - Taeniasis</Focus><UMLS><CUI></CUI></UMLS>
<QAPairs><QAPair pid="1"><Question qid="0000397-1" qtype="information">What is taeniasis?</Question>
<Answer>A tapeworm infection.</Answer></QAPair></QAPairs></DiseaseFile>"""


def write_corpus(root: Path) -> Path:
    for folder, stem, data in [
        ("3_GHR_QA", "0000344", STANDARD),
        ("6_NINDS_QA", "0000007", NINDS),
        ("9_CDC_QA", "0000397", CDC),
        ("9_CDC_QA", "broken", b"<Document><QAPairs>"),
    ]:
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / f"{stem}.xml").write_bytes(data)
    return root


def test_standard_variant_fields():
    pairs = parse_document(STANDARD, "3_GHR_QA", "0000344")
    first = pairs[0]
    assert first["id"] == "3_GHR_QA/0000344#0000344-1"
    assert first["focus"] == "X syndrome"
    assert first["qtype"] == "information"
    assert first["answer"] == "X syndrome is a condition.\nIt is rare."  # one line a paragraph
    assert first["synonyms"] == ("X disease",)
    assert first["source"].startswith("Genetics Home Reference")
    assert pairs[1]["answer"] == ""


def test_ninds_and_cdc_variants():
    (ninds,) = parse_document(NINDS, "6_NINDS_QA", "0000007")
    assert ninds["focus"] == "Holmes-Adie" and ninds["url"].startswith("http://www.ninds")
    assert ninds["source"].startswith("National Institute of Neurological")
    (cdc,) = parse_document(CDC, "9_CDC_QA", "0000397")
    assert cdc["id"] == "9_CDC_QA/0000397#0000397-1" and cdc["answer"] == "A tapeworm infection."


def test_the_documents_without_a_focus_are_named():
    empty = CDC.replace(b"<Focus>Parasites - Taeniasis</Focus>", b"<Focus></Focus>")
    assert parse_document(empty, "9_CDC_QA", "0000397")[0]["focus"] == ""
    (vre,) = parse_document(empty, "9_CDC_QA", "0000424")
    assert vre["focus"] == "Vancomycin-resistant Enterococci"


def test_folder_counts_skips_and_malformed(tmp_path, caplog):
    records, report = load_records(write_corpus(tmp_path))
    assert [r.id for r in records] == [
        "3_GHR_QA/0000344#0000344-1",
        "6_NINDS_QA/0000007#0000007-1",
        "9_CDC_QA/0000397#0000397-1",
    ]
    assert report.empty_answers == 1
    assert report.malformed_files == ["9_CDC_QA/broken.xml"]
    assert "broken.xml" in caplog.text


def test_duplicates_are_counted():
    files = [("a", "1", CDC), ("b", "1", CDC)]
    from rag.medquad import LoadReport

    report = LoadReport()
    records = build_records(files, report)
    assert len(records) == 1 and report.duplicates == 1


def test_zip_matches_folder(tmp_path):
    folder = write_corpus(tmp_path / "MedQuAD-master")
    archive = tmp_path / "medquad.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for p in folder.rglob("*.xml"):
            z.write(p, p.relative_to(tmp_path).as_posix())
    from_zip, _ = load_records(archive)
    from_folder, _ = load_records(folder)
    assert from_zip == from_folder
    assert corpus_fingerprint(from_zip) == corpus_fingerprint(from_folder)


def test_download_from_local_http_server(tmp_path):
    folder = write_corpus(tmp_path / "served" / "MedQuAD-master")
    archive = tmp_path / "served" / "master.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for p in folder.rglob("*.xml"):
            z.write(p, p.relative_to(folder.parent).as_posix())
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(archive.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/master.zip"
        cached = download(url, cache_dir=tmp_path / "cache")
        assert cached.read_bytes() == archive.read_bytes()
        assert not list((tmp_path / "cache").glob("*.part"))
        with pytest.raises(MedQuADError, match="could not download"):
            download(url.replace("master.zip", "missing.zip"), cache_dir=tmp_path / "cache")
        assert list((tmp_path / "cache").iterdir()) == [cached]
    finally:
        server.shutdown()


@pytest.mark.parametrize("make", ["missing", "empty", "not_zip"])
def test_bad_sources_fail_with_one_clear_line(tmp_path, make):
    target = tmp_path / "src"
    if make == "empty":
        target.mkdir()
    elif make == "not_zip":
        target.write_text("hello")
    with pytest.raises(MedQuADError) as err:
        load_records(target)
    assert "\n" not in str(err.value) and str(target) in str(err.value)


def test_full_collection_counts(medquad_dir):
    records, report = load_records(medquad_dir)
    assert report.pairs == 47457
    assert report.records + report.duplicates == 16423
    assert len({r.id for r in records}) == len(records)
    assert not report.malformed_files
