# cutover-monitor image: the README's steps (`npm ci`, then the command) on Node 20.
#
# NOT BUILT HERE: the machine this was written on has no Docker engine, so this file has never
# been built or run; test/deploy/dockerfile.test.ts only checks that its steps are the README's.
# Build and push it to your registry, then set that image in deploy/kubernetes/*.yaml:
#   docker build -t REGISTRY/cutover-monitor:0.1.0 . && docker push REGISTRY/cutover-monitor:0.1.0
#
# One image for both Kubernetes objects: the Deployment runs `npm run monitor` (the default
# command below), the CronJob `npm run checkpoint -- --phase=auto` (deploy/kubernetes/, docs/deploy.md).
FROM node:20-bookworm-slim

# The README's environment: Node 20 (>= 20.10) and npm 11.
RUN npm install -g npm@11.19.1 && npm cache clean --force

WORKDIR /app
RUN chown node:node /app
USER node

# The whole project first: `npm ci` runs the `prepare` script, which builds dist/ from src/.
COPY --chown=node:node . .
RUN npm ci && npm cache clean --force

# Records and state go to the history (PostgreSQL in deploy/); the report files here.
ENV CUTOVER_REPORTS_DIR=/app/reports
VOLUME ["/app/reports"]

# The monitor itself is the container process (what `npm run monitor` runs), so SIGTERM reaches the watch.
CMD ["node", "bin/cutover-monitor.mjs", "monitor"]
