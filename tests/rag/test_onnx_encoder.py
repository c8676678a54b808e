"""The ONNX Runtime query encoder: the same vectors as sentence-transformers, exported once."""

from __future__ import annotations

import numpy as np
import onnx

from rag.embedder import load_embedder, packaged_path
from rag.onnx_encoder import onnx_encoder, tokenizer_for

TEXTS = [
    "what causes gout?",
    "I'm 58 and on a water pill for my blood pressure. Last week my ankle got hot and swollen "
    "and the doctor said it is most likely gout. Could the pill have set it off?",
    "asthma",
    "Can shingles come back? " * 40,  # past the embedder's 256-token limit: truncated alike
]


def test_same_vectors_as_sentence_transformers(cache):
    model = load_embedder()
    encoder = onnx_encoder(model)
    assert encoder is not None
    expected = model.encode(TEXTS, normalize_embeddings=True)
    for batch_size in (1, 64):  # batched with padding, and one by one
        got = encoder.encode(TEXTS, batch_size)
        assert got.shape == expected.shape and got.dtype == np.float32
        assert (got * expected).sum(axis=1).min() > 0.9999
    assert encoder.encode([]).shape == (0, 384)


def test_tokenized_as_sentence_transformers_preprocess():
    model = load_embedder()
    own = model.tokenizer.backend_tokenizer
    settings = (own.padding, own.truncation)
    tokenize = tokenizer_for(model)
    texts = [*TEXTS, "  spaces around  ", "Ménière's disease — vertigo", ""]
    for batch in (texts, texts[:1], texts[2:3]):  # padding depends on the batch's longest
        got = tokenize(batch)
        assert (own.padding, own.truncation) == settings  # the model's tokenizer left as it was
        expected = model.preprocess(batch)
        settings = (own.padding, own.truncation)
        assert set(got) == {"input_ids", "attention_mask", "token_type_ids"}
        for name, array in got.items():
            assert array.dtype == np.int64
            np.testing.assert_array_equal(array, expected[name].numpy())


def test_exported_and_folded_once_then_reused(cache):
    encoder = onnx_encoder(load_embedder())
    assert encoder is not None and encoder.path.name.endswith("-fused.onnx")
    # The plain graph (OpenVINO's) and the folded one a message runs through; the eager export
    # the folded one was made from is gone, and so is every temporary file.
    plain = encoder.path.name.replace("-fused.onnx", ".onnx")
    assert {p.name for p in cache.glob("embedder-*.onnx")} == {plain, encoder.path.name}
    assert not list(cache.glob("*.part")) and not list(cache.glob("*-eager.onnx"))
    # Folded: attention is one ONNX Runtime kernel per layer, not a chain of products.
    ops = [n.op_type for n in onnx.load(encoder.path, load_external_data=False).graph.node]
    assert ops.count("Attention") == 6 and "Softmax" not in ops
    stamps = [p.stat().st_mtime_ns for p in sorted(cache.glob("embedder-*.onnx"))]
    assert onnx_encoder(load_embedder()) is not None
    assert [p.stat().st_mtime_ns for p in sorted(cache.glob("embedder-*.onnx"))] == stamps


def test_a_folded_graph_that_changes_the_vectors_is_not_used(cache, monkeypatch):
    from onnx import numpy_helper
    from onnxruntime.transformers import optimizer

    fold = optimizer.optimize_model

    def folded_wrong(*args, **kwargs):
        folded = fold(*args, **kwargs)
        weights = max(folded.model.graph.initializer, key=lambda t: "dense" in t.name)
        array = numpy_helper.to_array(weights)
        weights.CopyFrom(numpy_helper.from_array(array[::-1].copy(), weights.name))
        return folded

    monkeypatch.setattr(optimizer, "optimize_model", folded_wrong)
    model = load_embedder()
    encoder = onnx_encoder(model)
    assert encoder is not None and not encoder.path.name.endswith("-fused.onnx")
    assert not list(cache.glob("*-fused.onnx")) and not list(cache.glob("*.part"))
    expected = model.encode(TEXTS, normalize_embeddings=True)
    assert (encoder.encode(TEXTS) * expected).sum(axis=1).min() > 0.9999


def test_int8_query_vectors_stay_close_and_are_cached(cache):
    model = load_embedder()
    encoder = onnx_encoder(model, int8=True)
    assert encoder is not None
    quantized = list(cache.glob("embedder-*-int8.onnx"))
    assert len(quantized) == 1 and not list(cache.glob("*.part"))
    expected = model.encode(TEXTS, normalize_embeddings=True)
    cosines = (encoder.encode(TEXTS) * expected).sum(axis=1)
    assert cosines.min() > 0.97
    # int8, not the fp32 graph again: the vectors move, a little.
    assert cosines.max() < 0.9999
    # The question still finds its own text first among the others.
    assert (encoder.encode(TEXTS[:1]) @ expected.T).argmax() == 0
    # A text's vector does not depend on the texts embedded with it (texts this alike in length
    # would share a batch, and with it the int8 activation scale).
    alike = ["what causes gout in the big toe?", "how is asthma treated in young children?"]
    alone = np.stack([encoder.encode([t])[0] for t in alike])
    assert np.array_equal(encoder.encode(alike), alone)
    stamp = quantized[0].stat().st_mtime_ns
    onnx_encoder(model, int8=True)
    assert quantized[0].stat().st_mtime_ns == stamp


def test_other_pooling_keeps_sentence_transformers(cache):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.models import Pooling, Transformer

    body = Transformer(str(packaged_path("all-MiniLM-L6-v2")))
    cls = SentenceTransformer(modules=[body, Pooling(384, pooling_mode="cls")])
    assert onnx_encoder(cls) is None
    assert not list(cache.glob("embedder-*.onnx"))
