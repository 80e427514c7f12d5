#!/bin/bash
# HEALTHCHECK: exit 0 when GET /ready on this node's HTTP port answers 200, else 1.
# Plain bash (/dev/tcp), so the image needs no curl or wget.
port="${BROOK_HTTP_PORT:-8080}"
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
printf 'GET /ready HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
IFS= read -r -t 2 status <&3 || exit 1
exec 3<&-
case "$status" in
  "HTTP/1."?" 200 "*) exit 0 ;;
  *) exit 1 ;;
esac
