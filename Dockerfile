# socflow image for docker-compose.yml: one image, each processor a `socflow run <stage>` command.
FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app /app
# A stage process's memory settings, as stageProcessEnv sets them (lib/stream/stageProcess.ts says why).
ENV MALLOC_ARENA_MAX=2 NODE_OPTIONS=--max-semi-space-size=8
USER node
ENTRYPOINT ["node", "bin/socflow.js"]
