# Sluice image: one `sluice` executable for the broker (`sluice broker`) and the operator
# (`sluice operator`). Published as sluice/broker and sluice/operator (same image; the Helm chart
# and the StatefulSet pass the command as args). Not built in CI here.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx tsc -p tsconfig.json && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /opt/sluice
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/dist dist
RUN printf '#!/bin/sh\nexec node --enable-source-maps /opt/sluice/dist/cli/main.js "$@"\n' > /usr/local/bin/sluice \
 && chmod 0755 /usr/local/bin/sluice
# Non-root, matching the chart's securityContext (runAsUser 65532).
USER 65532:65532
EXPOSE 4222 6222 8222 8080
ENTRYPOINT ["sluice"]
CMD ["--help"]
