# Builds the listbridge service and the fake Infor CRM into one small image.
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p listbridge -p infor-crm-fake --bins \
 && cp target/release/listbridge target/release/fake-infor-crm /usr/local/bin/

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/listbridge --create-home listbridge
COPY --from=build /usr/local/bin/listbridge /usr/local/bin/fake-infor-crm /usr/local/bin/
USER listbridge
WORKDIR /var/lib/listbridge
ENV LISTBRIDGE_BIND=0.0.0.0:8080
EXPOSE 8080
CMD ["listbridge", "serve"]
