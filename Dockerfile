# kubedispatch image: Node 24 runs the TypeScript sources directly (type stripping), so there is no build
# step and the image holds the sources, the sample settings, the demo's examples and the production
# dependencies only (no tests, docs, benches or dev dependencies).
# The tag is pinned to a Node release; pin the digest too (FROM node:24.21.0-bookworm-slim@sha256:…) where
# the registry is reachable when you build.
FROM node:24.21.0-bookworm-slim
# tini is PID 1: it forwards SIGTERM to node (which stops its service cleanly) and reaps zombies.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY src ./src
COPY workers ./workers
COPY config ./config
# The example project and simulated behaviours `kubedispatch demo` runs (148 KB).
COPY examples ./examples
# The node image's unprivileged user, by number, so that runAsNonRoot can verify it (the chart runs as 1000).
USER 1000:1000
# No V8 heap flag here: a flag on the command line would override NODE_OPTIONS, and the heap limit
# belongs with each pod's memory limit (the chart sets NODE_OPTIONS per process; docs/operations.md,
# "Sizing"). Without one, Node sizes the heap from the container's memory limit.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "src/cli/main.ts"]
CMD ["--help"]
