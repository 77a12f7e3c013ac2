# The cosmos-workflow image: one image for the worker (`cosmos worker`) and the API (`cosmos api`).
# Used by temporal-docker-compose.yml; see docs/production.md.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY simulator ./simulator
RUN npx tsc -p tsconfig.json && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
# ffmpeg only matters when the worker runs the GPU-host simulator (no [[hosts]] configured).
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg && rm -rf /var/lib/apt/lists/* \
  && mkdir -p /data && chown node:node /data
# Migrations and the gallery's static files are read from src/ at run time.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/src/db/migrations ./src/db/migrations
COPY --from=build /app/src/client/api/gallery ./src/client/api/gallery
# The sample clip `cosmos doctor --smoke` runs on.
COPY samples/demo ./samples/demo
USER node
VOLUME ["/data"]
EXPOSE 8700
CMD ["node", "bin/cosmos.js", "--help"]
