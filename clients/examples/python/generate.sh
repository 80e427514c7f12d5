#!/usr/bin/env bash
# Generates the Python stubs of Brook's client API from proto/:
#   brook/v1/{broker,admin}_pb2{,_grpc}.py, brook/common/v1/errors_pb2.py, rpc_status_pb2.py
#
# Usage: ./generate.sh [OUT_DIR]      (default: generated/ beside this script)
#
# Uses protoc with gRPC's grpc_python_plugin (Debian: protobuf-compiler, protobuf-compiler-grpc).
# Without them, falls back to `$PYTHON -m grpc_tools.protoc` (grpcio-tools from PyPI; Debian's
# python3-grpc-tools bundles protoc 3.5, too old for proto3 `optional`, which Record uses).
# Environment: PROTOC, GRPC_PYTHON_PLUGIN, PYTHON (default /usr/bin/python3) override the tools.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
protos="$(cd "$here/../../../proto/src/main/proto" && pwd)"
out="${1:-$here/generated}"
protoc="${PROTOC:-$(command -v protoc || true)}"
plugin="${GRPC_PYTHON_PLUGIN:-$(command -v grpc_python_plugin || true)}"
python="${PYTHON:-/usr/bin/python3}"

mkdir -p "$out"
out="$(cd "$out" && pwd)"
cd "$protos"
files=(brook/v1/*.proto brook/common/v1/*.proto rpc_status.proto)
if [ -n "$protoc" ] && [ -n "$plugin" ]; then
  "$protoc" -I . -I "$here" --plugin=protoc-gen-grpc_python="$plugin" \
    --python_out="$out" --grpc_python_out="$out" "${files[@]}"
elif "$python" -c 'import grpc_tools.protoc' 2>/dev/null; then
  "$python" -m grpc_tools.protoc -I . -I "$here" --python_out="$out" --grpc_python_out="$out" "${files[@]}"
else
  echo "generate.sh: need protoc and grpc_python_plugin: apt-get install protobuf-compiler protobuf-compiler-grpc" >&2
  exit 1
fi
echo "generated Python stubs in $out" >&2
