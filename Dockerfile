# sibot: one image for polling and webhook mode. Build: docker build -t sibot .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 sibot
WORKDIR /app

COPY pyproject.toml README.md bot.py ./
COPY sibot ./sibot
COPY handlers ./handlers
COPY migrations ./migrations
RUN pip install .

USER sibot
# SQLite lives here when DATABASE_URL is not set to PostgreSQL.
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8443

CMD ["sibot"]
