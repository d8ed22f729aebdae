# Herald in a container: `docker build -t herald .` then see README, "Run in a container".
# Node 24 LTS, one of the two versions the tests run on (restify 12 asks for Node >= 22).

# Build: compiles TypeScript (dist/) and bundles the browser pages (public/build/). Needs the dev
# dependencies (type definitions); none of them reach the final image.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY sim ./sim
COPY web ./web
COPY public ./public
COPY scripts/buildWeb.mjs ./scripts/
RUN npm run build

# Run: production dependencies only, the compiled code and the pages, as the unprivileged node user.
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    PORT=3978 \
    DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY --from=build /app/public ./public
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3978
# Ready when /healthz answers 200 (CONTRACT: "Ready when GET /healthz answers 200").
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3978) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Not `npm start`: its prestart compiles from the sources, which the image does not carry.
CMD ["node", "dist/bin/herald.js"]
