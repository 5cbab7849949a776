# Portico's image: one image for every role (`portico start`, `start gateway`, `start registry`).
# Build: docker build -t portico .   Run: docker run -p 8080:8080 portico   (docs/deploy.md)
# test/deploy-build-steps.test.ts runs this file's RUN steps and HEALTHCHECK on a clean clone.

# --- build: every dependency, the TypeScript build and the console, then production deps only.
FROM node:20.19-bookworm-slim AS build
WORKDIR /app
# Manifests first, so the dependency layer is rebuilt only when they change.
COPY package.json package-lock.json ./
COPY packages/sdk/package.json packages/sdk/
COPY packages/portico/package.json packages/portico/
COPY packages/console/package.json packages/console/
COPY examples/hello/package.json examples/hello/
# --ignore-scripts: the root `prepare` would build before the sources are copied.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# esbuild (Vite's bundler) checks its binary in its install script, skipped above.
RUN npm rebuild esbuild && npm run build
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund
# What the runtime stage takes, gathered in ../image (= /image): each package's manifest and
# dist, node_modules (the root's, and a workspace's own where npm nested a version there).
RUN mkdir ../image && cp -a package.json node_modules ../image/ && for p in packages/sdk packages/portico packages/console examples/hello; do mkdir -p ../image/$p && cp -a $p/package.json $p/dist ../image/$p/ && if [ -d $p/node_modules ]; then cp -a $p/node_modules ../image/$p/; fi; done && cp -a packages/portico/bin ../image/packages/portico/

# --- runtime: Node, the built packages and their production dependencies; no compiler, no sources.
FROM node:20.19-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORTICO_HOST=0.0.0.0 \
    PORTICO_DATA_DIR=/var/lib/portico
WORKDIR /app
COPY --from=build /image ./
# The image's own user (uid 1000, from the Node image), owning only the data directory.
RUN mkdir -p /var/lib/portico && chown node:node /var/lib/portico
USER node
VOLUME ["/var/lib/portico"]
EXPOSE 8080 9080
# /livez on the admin port, asked by Node itself: the slim image has no curl or wget.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORTICO_ADMIN_PORT||9080)+'/livez').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "packages/portico/dist/cli/main.js"]
CMD ["start"]
