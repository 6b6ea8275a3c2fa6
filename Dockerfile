# syntax=docker/dockerfile:1
#
# analytics-rollups: one image for every command (`migrate`, `worker`, `api`, `run`, `produce`, ...).
#
#   docker build -t analytics-rollups .
#   docker run --rm -e CLICKHOUSE_URL=http://clickhouse:8123 analytics-rollups migrate
#   docker run -e CLICKHOUSE_URL=... -e KAFKA_BROKERS=... -e SCHEMA_REGISTRY_URL=... analytics-rollups          # worker
#   docker run -e CLICKHOUSE_URL=... -e API_JWT_SECRET=... -p 8080:8080 analytics-rollups api
#
# The image expects a ClickHouse server (CLICKHOUSE_URL). The embedded engine (chDB, a ~540 MB native
# library) is left out unless the image is built with `--build-arg WITH_EMBEDDED_ENGINE=true`; without it
# a command started with CLICKHOUSE_URL unset fails with "Cannot find module 'chdb/connection'".
# See docs/deploy.md.

ARG NODE_VERSION=20

# ---- build: compile src/ to dist/, then keep only the production dependencies -------------------------
# The full Debian image has python3/make/g++ for the one optional native dev dependency (cpu-features).
FROM node:${NODE_VERSION}-bookworm AS build
ARG WITH_EMBEDDED_ENGINE=false
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && if [ "$WITH_EMBEDDED_ENGINE" != "true" ]; then rm -rf node_modules/chdb node_modules/@chdb; fi \
 && find dist -name '*.map' -delete

# ---- runtime: dist/, bin/, avro/, production node_modules, package.json; non-root ----------------------
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    METRICS_PORT=9464 \
    API_PORT=8080 \
    CLICKHOUSE_PATH=/data/clickhouse
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY avro ./avro
# `node` (uid 1000) ships with the base image; /data is only written by the embedded engine.
RUN mkdir -p /data && chown node:node /data
# Numeric, so Kubernetes runAsNonRoot can verify it (uid 1000 is `node` in the base image).
USER 1000:1000
EXPOSE 9464 8080
# The worker answers /healthz on METRICS_PORT, the API on API_PORT: healthy when either process lives.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const p=[process.env.METRICS_PORT||9464,process.env.API_PORT||8080];Promise.any(p.map(x=>fetch('http://127.0.0.1:'+x+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>{if(!r.ok)throw new Error(r.status)}))).then(()=>process.exit(0),()=>process.exit(1))"]
# SIGTERM goes straight to node (PID 1), which flushes, commits and leaves the group within
# ROLLUPS_SHUTDOWN_GRACE_MS (default 30 s): give `docker stop` / Kubernetes more than that.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/rollups.mjs"]
CMD ["worker"]
