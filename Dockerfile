# The service image: Node 22 LTS, SoftHSM2 for development tokens, pkcs11js built against the image's Node.
FROM node:22-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && test -f node_modules/pkcs11js/build/Release/pkcs11.node

FROM node:22-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends softhsm2 ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY package.json tsconfig.json main.ts service.ts ./
COPY core ./core
COPY openapi ./openapi
COPY authz ./authz
COPY rssp ./rssp
COPY sam ./sam
COPY softhsm-config ./softhsm-config
COPY admin ./admin
RUN mkdir -p /data && chown node:node /data
ENV NODE_ENV=development PORT=8080 DATA_DIR=/data
VOLUME /data
EXPOSE 8080
USER node
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--import", "tsx", "main.ts"]
