# NBO's container image. Built with dev dependencies, run with production ones only, as a
# non-root user, from files no one can write: it runs with a read-only root filesystem and
# writes nothing but logs (stdout).
#
#   docker build -t nbo .
#   docker run --rm -p 127.0.0.1:8080:8080 --read-only -e NBO_HOST=0.0.0.0 \
#     -e NBO_API_KEYS_FILE=/etc/nbo/keys.yaml -v "$PWD/keys.yaml:/etc/nbo/keys.yaml:ro" nbo
#
# Node 20 on Debian 12 (glibc 2.36): the uWebSockets.js build NBO uses has binaries for
# Node 16, 18 and 20 only (docs/deploy.md#node-versions). Pin the base by digest in your
# registry (node:20.20.2-bookworm-slim@sha256:…) when you mirror it.
# test/deploy/image.test.ts runs these steps (without a Docker engine) and starts the result.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# the sample catalog; mount your rules over /app/rules or set NBO_RULES_DIR
COPY rules ./rules
# a numeric uid, so Kubernetes can check runAsNonRoot; any uid works (files are world-readable)
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["node", "--enable-source-maps", "dist/cli/bin.js"]
CMD ["serve"]
