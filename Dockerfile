# Production image: gunicorn for the web; the same image runs the Celery worker and beat
# (see docker-compose.yml). Settings come from the environment (backend/settings.py).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VAR_DIR=/app/var

# WeasyPrint's layout and fonts (the block report's PDF): Pango and one font family.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/app app

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# The secret here only lets the settings load for collectstatic; it is not kept in the image.
RUN DEBUG=false SECRET_KEY=build-time-only-not-a-secret python manage.py collectstatic --noinput \
    && mkdir -p /app/var/metrics && chown -R app:app /app/var

USER app

EXPOSE 8000
# Threads (gthread): a client that sends its request slowly holds one thread, not a whole
# worker; the TLS proxy in front should still buffer bodies (README, production).
# No gunicorn access log: its lines hold each full path, and a web check-in's path is the
# patient's link. backend/logs.py writes one line per request instead, with the route.
CMD ["gunicorn", "backend.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--worker-class", "gthread", "--threads", "4"]
