# kubedispatch image: Node 24 runs the TypeScript sources directly (type stripping), so there is
# no build step and the image holds exactly what the repository holds.
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY src ./src
COPY workers ./workers
COPY config ./config
USER node
ENTRYPOINT ["node", "src/cli/main.ts"]
CMD ["--help"]
