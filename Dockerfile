# syntax=docker/dockerfile:1
# irsa-probe image: build with dev dependencies, ship production dependencies only.
#
#   docker build -t irsa-probe .                                   # public base (node:24-bookworm-slim)
#   docker build --build-arg NODE_BASE=my-registry/node:24 -t irsa-probe .
#
# NODE_BASE is the runtime base: any image with a Node.js >= 24 `node` on PATH
# (node:24-bookworm-slim, or a distroless/chainguard nodejs image that puts node on
# PATH). NODE_BUILD_BASE needs npm as well; it defaults to NODE_BASE.
# A registry behind a private CA: pass an npmrc and the CA as build secrets (never
# baked in): --secret id=npmrc,src=FILE --secret id=npm-ca,src=CA.pem, with the
# npmrc saying `cafile=/run/secrets/npm-ca`.
ARG NODE_BASE=node:24-bookworm-slim
ARG NODE_BUILD_BASE=${NODE_BASE}

FROM ${NODE_BUILD_BASE} AS build
WORKDIR /build
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc \
    --mount=type=secret,id=npm-ca,target=/run/secrets/npm-ca \
    npm ci --ignore-scripts --no-audit --no-fund --update-notifier=false
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.mjs ./scripts/
COPY src ./src
# Type-check, then bundle src/main.ts with its dependencies into dist/bundle/
# (what `npm run build` produces and the tests run): no node_modules at run time.
RUN npx tsc -p tsconfig.build.json --noEmit && node scripts/bundle.mjs

FROM ${NODE_BASE} AS runtime
ENV NODE_ENV=production
# A 1 MiB young generation (a sidecar allocates little per cycle; larger
# semi-spaces only add resident memory), a 48 MiB old generation (the live heap
# is under 20 MiB; without a cap V8 lets it grow to ~50 MiB between collections
# and the pages stay resident) and no JIT (a few HTTP calls a minute; compiled
# code and the compiler's memory cost more than they save; it also turns off
# WebAssembly, which the probe never uses). Measured in bench/RESULTS.md; the
# tests run with these flags too. Append to NODE_OPTIONS rather than replace it.
ENV NODE_OPTIONS="--max-semi-space-size=1 --max-old-space-size=48 --jitless"
WORKDIR /app
COPY --from=build --chown=0:0 /build/dist/bundle ./dist/bundle
COPY --chown=0:0 package.json ./
# Numeric non-root user (works with runAsNonRoot without a passwd entry); files
# stay root-owned and read-only to it, so a read-only root filesystem is fine:
# the probe writes nothing to disk.
USER 65532:65532
EXPOSE 9876
# Node is PID 1 and the program handles SIGTERM/SIGINT itself.
ENTRYPOINT ["node", "/app/dist/bundle/main.js"]
CMD ["serve"]
