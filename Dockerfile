# One image for the API and both kinds of workers (docker-compose.yml picks the command).
FROM python:3.11-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng libtesseract-dev \
      libleptonica-dev ffmpeg build-essential pkg-config \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# The locked versions first (hash-checked; a layer that changes only with the lock), then the
# project itself without resolving its dependencies again.
COPY requirements.txt ./
RUN pip install --no-cache-dir --require-hashes -r requirements.txt
COPY pyproject.toml README.md ./
COPY vidverify ./vidverify
COPY pipeline ./pipeline
COPY eligibility ./eligibility
COPY workers ./workers
COPY web ./web
COPY ocr_templates ./ocr_templates
RUN pip install --no-cache-dir --no-deps . \
 && useradd --create-home --uid 10001 vidverify \
 && mkdir -p /data/evidence /data/work && chown -R vidverify /data

ENV OMP_THREAD_LIMIT=1 PYTHONUNBUFFERED=1 VIDVERIFY_TEMPLATES=/app/ocr_templates
USER vidverify
CMD ["vidverify", "worker"]
