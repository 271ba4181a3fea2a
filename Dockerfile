# gongkai image: the CLI, the Celery workers and the review app, built from this checkout.
#   docker build -t gongkai .            (deploy/compose.yaml builds it the same way)
# No embedded store inside: a deployment sets GONGKAI_MONGO_URL to its MongoDB.
FROM python:3.11-slim-bookworm

# pango for the review app's PDF export (WeasyPrint), fonts for Chinese text in it
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY gongkai ./gongkai
COPY extractors ./extractors
COPY storage ./storage
COPY worker ./worker
COPY config ./config
COPY web ./web
RUN pip install --no-cache-dir . \
 && useradd --create-home --uid 10001 gongkai
USER gongkai
ENV GONGKAI_LOG_LEVEL=INFO
# every service of deploy/compose.yaml runs the `gongkai` entry point
ENTRYPOINT ["gongkai"]
CMD ["--help"]
