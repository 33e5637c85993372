# servesim in a container, for sweeps on a cluster (deploy/k8s/sweep-job.yaml runs one shard per pod).
#   docker build -t servesim .
#   docker run --rm -v "$PWD/runs:/results" servesim sweep experiments/sweeps/hpa-twitter.json --out /results/hpa
# Two stages: the build needs the dev tools (esbuild, TypeScript); the image keeps only what runs.
FROM node:20-slim AS build
WORKDIR /servesim
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN node scripts/build.mjs

FROM node:20-slim
WORKDIR /servesim
ENV NODE_ENV=production
COPY package.json package-lock.json .npmrc ./
# --ignore-scripts: the package's own prepare step needs the dev tools; the bundle comes from the build stage.
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force
COPY --from=build /servesim/dist ./dist
COPY bin ./bin
COPY deploy ./deploy
COPY experiments ./experiments
COPY profiles ./profiles
COPY traces ./traces
ENTRYPOINT ["node", "/servesim/bin/servesim.js"]
CMD ["--help"]
