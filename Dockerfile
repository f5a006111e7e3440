# sibot: one image for polling and webhook mode. Build: docker build -t sibot .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# /data is made here, as root, for the bot's user: the SQLite default (sibot.db in the working
# folder) must be writable by it, and by nobody else. A named volume takes this owner and mode
# the first time it is mounted.
RUN useradd --create-home --uid 10001 sibot \
    && install --directory --owner=sibot --group=sibot --mode=700 /data
WORKDIR /app

COPY pyproject.toml README.md bot.py ./
COPY sibot ./sibot
COPY handlers ./handlers
COPY migrations ./migrations
RUN pip install .

USER sibot
WORKDIR /data
VOLUME ["/data"]
# The webhook server (WEBHOOK_PORT); polling mode listens on nothing.
EXPOSE 8443

CMD ["sibot"]
