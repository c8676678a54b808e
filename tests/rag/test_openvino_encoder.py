"""The OpenVINO passage encoder: sentence-transformers' vectors, in its texts' order."""

from __future__ import annotations

import numpy as np
import pytest

from rag.embedder import bf16_supported, load_embedder, packaged_path
from rag.openvino_encoder import openvino_encoder

pytest.importorskip("openvino")

TEXTS = [
    "Gout: Gout is a form of arthritis caused by too much uric acid in the blood.",
    "asthma",
    "Shingles: Can shingles come back? " * 40,  # past the embedder's 256-token limit
    "What are the treatments for high blood pressure?",
    "Diabetes: Type 2 diabetes is the most common form of diabetes.",
]


def test_fp32_gives_sentence_transformers_vectors_in_order(cache):
    model = load_embedder()
    encoder = openvino_encoder(model, bf16=False)
    assert encoder is not None
    expected = model.encode(TEXTS, normalize_embeddings=True)
    for batch_size in (1, 2, 16):  # batches of texts sorted by length, returned in input order
        got = encoder.encode(TEXTS, batch_size=batch_size)
        assert got.shape == expected.shape and got.dtype == np.float32
        assert (got * expected).sum(axis=1).min() > 0.99999
    assert encoder.encode([]).shape == (0, encoder.get_embedding_dimension())


@pytest.mark.skipif(not bf16_supported(), reason="this CPU has no native bfloat16 products")
def test_bf16_stays_within_rounding_of_fp32(cache):
    model = load_embedder()
    expected = model.encode(TEXTS, normalize_embeddings=True)
    got = openvino_encoder(model, bf16=True).encode(TEXTS)
    cosines = (got * expected).sum(axis=1)
    assert cosines.min() > 0.999
    assert cosines.max() < 0.9999999  # bfloat16 products were used: the vectors move a little


def test_other_pooling_is_left_to_sentence_transformers(cache):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.models import Pooling, Transformer

    body = Transformer(str(packaged_path("all-MiniLM-L6-v2")))
    cls = SentenceTransformer(modules=[body, Pooling(384, pooling_mode="cls")])
    assert openvino_encoder(cls, bf16=False) is None


def test_a_failed_batch_raises_instead_of_leaving_zeros(cache, monkeypatch):
    import rag.openvino_encoder

    encoder = openvino_encoder(load_embedder(), bf16=False)

    def broken(*args):
        raise ValueError("pooling failed")

    monkeypatch.setattr(rag.openvino_encoder, "mean_pooled", broken)
    with pytest.raises(ValueError, match="pooling failed"):
        encoder.encode(TEXTS, batch_size=2)
