FROM python:3.11-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir . && useradd --create-home outreach
USER outreach
CMD ["outreach", "worker"]
