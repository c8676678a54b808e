"""Embed many passages through OpenVINO: the index build's fastest way on a CPU.

The index build is bound by the embedder's matrix products. OpenVINO runs the exported ONNX
graph (``rag.onnx_encoder.exported``) with fused kernels, bfloat16 products where the CPU
multiplies them natively (``rag.embedder.bf16_supported``), and several inference streams fed
one batch each while the next batch is tokenized. On 2 cores with AVX512-BF16 this embeds
passages about 1.45x faster than sentence-transformers under ``torch.autocast`` bfloat16
(``bench/index_build.py``), within cosine 0.9999 of the fp32 vectors.

:func:`openvino_encoder` returns None when openvino is not installed, the model is not a plain
mean-pooled transformer, or compiling fails; the build then keeps sentence-transformers.
"""

from __future__ import annotations

import logging

import numpy as np

from rag.onnx_encoder import exportable, exported, mean_pooled, tokenizer_for

log = logging.getLogger(__name__)


class OpenVinoEncoder:
    """``encode(texts)`` -> L2-normalised float32 vectors, as ``SentenceTransformer.encode``."""

    def __init__(self, model, compiled) -> None:
        import openvino as ov

        self.inputs = [i.get_any_name() for i in compiled.inputs]
        self.tokenize = tokenizer_for(model)
        self.normalize = any(type(m).__name__ == "Normalize" for m in model)
        self.dimension = model.get_embedding_dimension()
        # One queue for the encoder's life, its callback a plain function: a queue freed inside
        # its own worker thread (the last reference dropped there, or a reference cycle
        # collected there) would join that thread from itself and abort the process.
        requests = compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")
        self.queue = ov.AsyncInferQueue(compiled, requests)
        self.queue.set_callback(_pool_into)

    def get_embedding_dimension(self) -> int:
        return self.dimension

    def encode(self, texts: list[str], batch_size: int = 16, **_) -> np.ndarray:
        """Vectors in ``texts``' order. Texts are sorted by length so a batch pads little."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dimension), np.float32)
        errors: list[BaseException] = []
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            features = self.tokenize([texts[i] for i in rows])
            feed = {name: features[name] for name in self.inputs}
            job = (out, rows, feed["attention_mask"], self.normalize, errors)
            self.queue.start_async(feed, job)
        self.queue.wait_all()
        if errors:  # raised here: a lost batch must never be left as zeros
            raise errors[0]
        return out


def _pool_into(request, job: tuple) -> None:
    """A finished batch's token states -> its rows of the output (in an OpenVINO thread)."""
    out, rows, mask, normalize, errors = job
    try:
        out[rows] = mean_pooled(request.get_output_tensor(0).data, mask, normalize)
    except BaseException as exc:
        errors.append(exc)


def openvino_encoder(model, bf16: bool) -> OpenVinoEncoder | None:
    """An OpenVINO encoder for a sentence-transformers ``model``, its products in bfloat16 when
    ``bf16`` (fp32 otherwise); None when it cannot be made (see the module's docstring)."""
    if not exportable(model):
        return None
    try:
        import openvino as ov
    except ImportError:
        return None
    try:
        core = ov.Core()
        settings = {
            "PERFORMANCE_HINT": "THROUGHPUT",  # as many streams as the cores serve best
            "INFERENCE_PRECISION_HINT": "bf16" if bf16 else "f32",
        }
        compiled = core.compile_model(core.read_model(str(exported(model))), "CPU", settings)
        return OpenVinoEncoder(model, compiled)
    except Exception as exc:  # a failure here must never stop a build
        log.warning("OpenVINO unavailable (%s); embedding with sentence-transformers", exc)
        return None
