# Namesmith: CPU-only image. The SQLite file lives on a volume at /data.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NAMESMITH_DATABASE=/data/namesmith.sqlite3 \
    NAMESMITH_MODELS_DIR=/data/models

WORKDIR /app
# The CPU build of torch, from PyTorch's CPU index: the default wheel drags in CUDA (GBs).
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY engine ./engine
COPY storage ./storage
RUN pip install .

RUN useradd --create-home --uid 10001 namesmith \
    && mkdir -p /data && chown namesmith:namesmith /data
USER namesmith
VOLUME ["/data"]

CMD ["namesmith", "run"]
