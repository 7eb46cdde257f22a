# Gatehouse on Node 24 (oidc-provider 9 needs Node 22 or 24 LTS).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The image brings its own Node 24: skip the node@24 devDependency's binary and build scripts
# that are not needed to compile. The conformance battery (the conformance/ workspace, with
# openid-client) is not copied and not installed: `gatehouse conformance` runs from a checkout.
RUN npm ci --no-audit --no-fund --ignore-scripts --workspaces=false && npm rebuild bcrypt
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev --ignore-scripts --workspaces=false

FROM node:24-bookworm-slim
ENV NODE_ENV=production PORT=3000
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json knexfile.js ./
COPY migrations ./migrations
COPY seeds ./seeds
COPY views ./views
COPY bin ./bin
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/main.js"]
