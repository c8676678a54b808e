"""Embed a person's message through ONNX Runtime: the same vectors, about half the latency.

A sentence-transformers model spends most of one short message's time in Python (module hooks,
per-layer dispatch). Exported once to ONNX (cached, named by a hash of the weights) and run by
ONNX Runtime, the transformer gives the same token states; mean pooling and normalisation are
done here as the model's own Pooling and Normalize modules do them. Batches of many passages
run no faster this way (both are bound by the same matrix products), so index builds embed
through OpenVINO instead (``rag/openvino_encoder.py``, from the same exported graph); queries at
answer time use this.

The graph a message runs through is a second export, with the attention written out plainly
("eager", not PyTorch's fused kernel) so that ONNX Runtime's transformer optimizer can fold each
layer's attention, layer norms and GELU into its own single-kernel ops: the same vectors (cosine
1.0000 on every dev message) in about 0.9 of the time (``bench/retrieval.py``, ``fused_graph``).
It is checked against the plain graph when made, and the plain graph is used wherever the
optimizer cannot fold the model or changes its vectors. OpenVINO reads only the plain graph.

With ``int8``, the exported graph's matrix products are quantized once more (dynamic int8, one
scale per output channel) and cached beside it: a message embeds in about two thirds of the
time, at a cosine of about 0.99 to its fp32 vector (passages stay fp32). ``bench/retrieval.py``
scores it on dev against fp32; it lost more than the one point allowed, so the retriever leaves
it off (``RetrievalConfig.query_int8``).

Only a plain ``Transformer -> Pooling(mean) [-> Normalize]`` model is exported; for any other
model, or without onnxruntime, :func:`onnx_encoder` returns None and the caller keeps the model.
"""

from __future__ import annotations

import hashlib
import logging
import os
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rag.cache import cache_dir, written_atomically
from rag.embedder import plain_tokenizer

log = logging.getLogger(__name__)


class OnnxEncoder:
    """``encode(texts)`` -> L2-normalised float32 vectors, as ``SentenceTransformer.encode``."""

    def __init__(self, model, path: Path, threads: int, alone: bool = False) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        # Spinning threads would take CPU from llama.cpp, which answers right after retrieval.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.path, self.threads = path, threads  # the graph it runs, on how many threads
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.tokenize = tokenizer_for(model)
        self.normalize = any(type(m).__name__ == "Normalize" for m in model)
        self.dimension = model.get_embedding_dimension()
        # int8 graphs scale activations by the largest in the whole batch, so a text's vector
        # would depend on the texts beside it: each is then embedded alone.
        self.alone = alone

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Longest first; a batch ends when full or when the next text is much shorter than
        its first, so a short question sentence is not padded to the whole message's length
        (one message's texts cost the sum of their lengths, not their count times the longest)."""
        batch_size = 1 if self.alone else batch_size
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        batches: list[list[int]] = []
        for i in order:
            batch = batches[-1] if batches else None
            if batch and len(batch) < batch_size and len(texts[i]) >= 0.6 * len(texts[batch[0]]):
                batch.append(i)
            else:
                batches.append([i])
        out = None
        for rows in batches:
            vectors = self._batch([texts[i] for i in rows])
            if out is None:
                out = np.zeros((len(texts), vectors.shape[1]), np.float32)
            out[rows] = vectors
        return out if out is not None else np.zeros((0, self.dimension), np.float32)

    def _batch(self, texts: list[str]) -> np.ndarray:
        features = self.tokenize(texts)
        feed = {name: features[name] for name in self.inputs}
        states = self.session.run(None, feed)[0]
        return mean_pooled(states, feed["attention_mask"], self.normalize)


def tokenizer_for(model) -> Callable[[list[str]], dict[str, np.ndarray]]:
    """``texts`` -> the int64 arrays the exported graph takes, the same as ``model.preprocess``
    makes them (stripped, truncated to ``max_seq_length``, padded to the longest) but from the
    fast tokenizer directly: transformers' wrapper and torch tensors cost half as much again, time
    an index build takes from the embedding on the same cores. Anything else uses preprocess."""
    transformer = model[0]
    tokenizer = transformer.tokenizer
    plain = plain_tokenizer(tokenizer)
    if plain is None or getattr(transformer, "do_lower_case", False):

        def preprocessed(texts: list[str]) -> dict[str, np.ndarray]:
            features = model.preprocess(texts)
            return {k: features[k].numpy().astype(np.int64) for k in INPUT_NAMES if k in features}

        return preprocessed
    plain.enable_truncation(transformer.max_seq_length)
    plain.enable_padding(pad_id=tokenizer.pad_token_id, pad_token=tokenizer.pad_token)
    names = [n for n in INPUT_NAMES if n in tokenizer.model_input_names]

    def tokenized(texts: list[str]) -> dict[str, np.ndarray]:
        encodings = plain.encode_batch([str(t).strip() for t in texts])
        return {
            n: np.array([getattr(e, _ENCODING_FIELDS[n]) for e in encodings], np.int64)
            for n in names
        }

    return tokenized


INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
_ENCODING_FIELDS = {
    "input_ids": "ids",
    "attention_mask": "attention_mask",
    "token_type_ids": "type_ids",
}


def mean_pooled(states: np.ndarray, mask: np.ndarray, normalize: bool) -> np.ndarray:
    """Token states -> one float32 vector per text, as the model's Pooling(mean) and Normalize
    modules make it."""
    weights = mask[..., None].astype(np.float32)
    pooled = (states * weights).sum(1) / np.maximum(weights.sum(1), 1e-9)
    if normalize:
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    return pooled.astype(np.float32)


def onnx_encoder(model, threads: int | None = None, int8: bool = False) -> OnnxEncoder | None:
    """An ONNX Runtime encoder for a sentence-transformers ``model``, exported on first use
    (and, with ``int8``, quantized on first use); None when the model is not a plain
    mean-pooled transformer or onnxruntime is missing."""
    if not exportable(model):
        return None
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return None
    threads = threads or min(2, os.cpu_count() or 1)
    try:
        path = _int8(exported(model)) if int8 else _fused_or_plain(model)
        return OnnxEncoder(model, path, threads, alone=int8)
    except Exception as exc:  # an export or load failure must never stop retrieval
        log.warning("ONNX query encoder unavailable (%s); using sentence-transformers", exc)
        return None


def _fused_or_plain(model) -> Path:
    try:
        return fused(model) or exported(model)
    except Exception as exc:  # a model the optimizer cannot read still runs, unfolded
        log.warning("ONNX Runtime could not fold the embedder's graph (%s)", exc)
        return exported(model)


def exportable(model) -> bool:
    """Whether ``model`` is a plain mean-pooled transformer, the only kind exported."""
    modules = list(model)
    names = [type(m).__name__ for m in modules]
    if names[:2] != ["Transformer", "Pooling"] or names[2:] not in ([], ["Normalize"]):
        return False
    pooling = modules[1].get_config_dict()
    return pooling.get("pooling_mode") == "mean" and hasattr(modules[0], "auto_model")


def _weights_digest(transformer) -> str:
    import torch

    digest = hashlib.sha256(torch.__version__.encode())
    for name, tensor in transformer.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:12]


def exported(model, attention: str | None = None) -> Path:
    """The ONNX graph of ``model``'s transformer (token states out), exported on first use;
    ``attention`` names the attention implementation exported (None: the model's own)."""
    import torch

    transformer = model[0].auto_model
    suffix = f"-{attention}" if attention else ""
    path = cache_dir() / f"embedder-{_weights_digest(transformer)}{suffix}.onnx"
    if path.exists():
        return path
    features = model.preprocess(["an example question about asthma"])
    names = [n for n in INPUT_NAMES if n in features]

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = transformer

        def forward(self, *tensors):
            return self.model(**dict(zip(names, tensors, strict=True))).last_hidden_state

    own = transformer.config._attn_implementation
    if attention:
        transformer.set_attn_implementation(attention)
    try:
        with written_atomically(path) as tmp, warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
            torch.onnx.export(
                LastHiddenState().eval(),
                tuple(features[n] for n in names),
                tmp,
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
                opset_version=17,
                dynamo=False,
            )
    finally:  # sentence-transformers goes on using the model as it was
        if attention:
            transformer.set_attn_implementation(own)
    return path


# Texts a folded graph must embed as the plain graph does before it is used (lengths differ,
# so a batch of them is padded).
_CHECK_TEXTS = [
    "what causes gout?",
    "my son has had a barking cough for three nights and a low fever, what helps at home",
]


def fused(model) -> Path | None:
    """``model``'s graph with each layer's attention, layer norms and GELU folded into ONNX
    Runtime's single-kernel ops, made and checked on first use; None when the optimizer folds
    no attention (not a BERT-like model) or the folded graph's vectors differ from the plain
    graph's, so that the caller keeps the plain graph."""
    transformer = model[0].auto_model
    path = cache_dir() / f"embedder-{_weights_digest(transformer)}-fused.onnx"
    if path.exists():
        return path
    from onnxruntime.transformers.optimizer import optimize_model

    config = transformer.config
    if config.model_type not in _FOLDED_TYPES:
        return None
    eager = exported(model, attention="eager")
    try:
        folded = optimize_model(
            str(eager),
            model_type="bert",
            num_heads=config.num_attention_heads,
            hidden_size=config.hidden_size,
        )
        if not folded.get_fused_operator_statistics().get("Attention"):
            return None
        with written_atomically(path) as tmp:
            folded.save_model_to_file(tmp)
            plain = OnnxEncoder(model, exported(model), threads=1).encode(_CHECK_TEXTS)
            check = OnnxEncoder(model, Path(tmp), threads=1).encode(_CHECK_TEXTS)
            if (plain * check).sum(axis=1).min() < 0.9999:
                raise _Differs
    except _Differs:
        log.warning("ONNX Runtime's folded graph changes the vectors; using the plain graph")
        return None
    finally:
        eager.unlink(missing_ok=True)  # only the folded graph is run
    return path


class _Differs(Exception):
    """The folded graph's vectors are not the plain graph's."""


# Model types whose layers ONNX Runtime's BERT optimizer knows how to fold.
_FOLDED_TYPES = {"bert", "roberta", "xlm-roberta", "distilbert", "electra"}


class _QuietPreprocessHint(logging.Filter):
    """onnxruntime's quantizer logs a hint about shape pre-processing on every call; the
    transformer's shapes are already known, so the hint says nothing here."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()


def _int8(path: Path) -> Path:
    """The exported graph with its MatMul weights int8, one scale per output channel (one scale
    per tensor moves vectors about six times further from fp32: cosine 0.95 against 0.99)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out = path.with_name(f"{path.stem}-int8.onnx")
    if out.exists():
        return out
    quiet = _QuietPreprocessHint()
    logging.getLogger().addFilter(quiet)
    try:
        with written_atomically(out) as tmp:
            quantize_dynamic(
                str(path),
                tmp,
                weight_type=QuantType.QInt8,
                per_channel=True,
                op_types_to_quantize=["MatMul"],
            )
    finally:
        logging.getLogger().removeFilter(quiet)
    return out
