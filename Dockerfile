# One image for the worker and the API (docker-compose.yml picks the command).

FROM node:20-slim AS build
WORKDIR /app
# Dependencies in their own layer, rebuilt only when the package files change.
COPY package.json package-lock.json ./
COPY scripts ./scripts
RUN node scripts/build.mjs --deps-only
COPY . .
RUN node scripts/build.mjs

FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
ENV TOLLGATE_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js
USER node
EXPOSE 3000
CMD ["node", "dist/api/server.js"]
