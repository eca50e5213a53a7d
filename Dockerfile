FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/app/var
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# Translation catalogues (.po → .mo), before the files become read-only to the app.
RUN DEBUG=1 python manage.py compile_catalogues
RUN useradd --create-home portal && mkdir -p /app/var/audit && chown -R portal /app/var
USER portal
RUN DEBUG=1 python manage.py collectstatic --no-input
EXPOSE 8000
# Workers, threads and timeouts: gunicorn.conf.py (WEB_CONCURRENCY, WEB_THREADS).
CMD ["gunicorn", "--bind", "0.0.0.0:8000"]
