# Open Badges 3.0 service: python:3.11-slim, non-root, migrations then uvicorn with workers
# (`badges serve`: one listening socket per worker process, see app/serving/workers.py).
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BADGES_ENVIRONMENT=production \
    BADGES_DATA_DIR=/data \
    WEB_CONCURRENCY=2

RUN groupadd --system badges && useradd --system --gid badges --home-dir /app --shell /usr/sbin/nologin badges

# A CJK TrueType font the PDF certificates embed (app/certificates/fonts.py); without it their
# Chinese falls back to a font the PDF reader must supply.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-zenhei \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Dependencies first (cached layer), then the code.
COPY pyproject.toml README.md ./
RUN mkdir -p app openbadges migrations && touch app/__init__.py openbadges/__init__.py \
    && pip install . && pip uninstall -y openbadges-service
COPY app ./app
COPY openbadges ./openbadges
COPY migrations ./migrations
RUN pip install --no-deps . && mkdir -p /data && chown badges:badges /data

USER badges
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status == 200 else 1)"

# Secrets come from the environment (BADGES_ADMIN_TOKEN, BADGES_KEY_ENCRYPTION_KEY or
# BADGES_KEYS_DIR); in production the service refuses to start without them.
# `badges serve` runs the migrations, then the workers; uvicorn trusts X-Forwarded-* from the
# addresses in FORWARDED_ALLOW_IPS (default 127.0.0.1).
CMD ["sh", "-c", "exec badges serve --host 0.0.0.0 --port 8000 --workers ${WEB_CONCURRENCY}"]
