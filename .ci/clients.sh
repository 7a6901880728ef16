#!/usr/bin/env bash
# Generates API clients from the OpenAPI document the server serves, with
# the generators people use, and compiles them: a Go client with
# oapi-codegen, and TypeScript types with openapi-typescript driven through
# openapi-fetch. A document either generator cannot take fails here.
set -euo pipefail
cd "$(dirname "$0")/.."

OAPI_CODEGEN=v2.8.2
OAPI_RUNTIME=v1.9.0
OPENAPI_TYPESCRIPT=7.13.0
OPENAPI_FETCH=0.17.0
TYPESCRIPT=5.9.3

if ! command -v npm >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq nodejs npm >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The merged document, as api.OpenAPI() serves it.
STEWARD_OPENAPI_OUT="$work/openapi.json" go test -count=1 -run '^TestWriteOpenAPI$' ./internal/api/
test -s "$work/openapi.json"

echo "Go client (oapi-codegen $OAPI_CODEGEN)"
GOBIN="$work/bin" go install "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@$OAPI_CODEGEN"
mkdir "$work/go"
"$work/bin/oapi-codegen" -generate types,client -package stewardclient \
  -o "$work/go/client.go" "$work/openapi.json"
cat >"$work/go/go.mod" <<EOF
module stewardclient

go 1.22

require github.com/oapi-codegen/runtime $OAPI_RUNTIME
EOF
(cd "$work/go" && go mod tidy && go build ./... && go vet ./...)

echo "TypeScript client (openapi-typescript $OPENAPI_TYPESCRIPT, openapi-fetch $OPENAPI_FETCH, typescript $TYPESCRIPT)"
mkdir "$work/ts"
cd "$work/ts"
echo '{"private": true}' >package.json
npm install --no-audit --no-fund --silent --save-exact \
  "openapi-typescript@$OPENAPI_TYPESCRIPT" "openapi-fetch@$OPENAPI_FETCH" "typescript@$TYPESCRIPT"
node_modules/.bin/openapi-typescript ../openapi.json -o schema.d.ts
# A few calls through openapi-fetch, so the generated paths must have the
# shape a client needs, not merely parse.
cat >client.ts <<'EOF'
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

const api = createClient<paths>({ baseUrl: "http://localhost:8080" });

export async function example(): Promise<string[]> {
  const list = await api.GET("/api/v1/incidents", {
    params: { query: { state: ["new", "open"], limit: 10, assignee_id: "me" } },
  });
  const ci: components["schemas"]["NewCI"] = {
    type: "server",
    name: "web01",
    attributes: { cores: 8, virtual: true, os: "linux", retired_on: null },
  };
  const made = await api.POST("/api/v1/cis", { body: ci });
  if (made.data) {
    await api.GET("/api/v1/cis/{id}", { params: { path: { id: made.data.id } } });
  }
  return (list.data?.items ?? []).map((i) => i.title);
}
EOF
cat >tsconfig.json <<'EOF'
{
  "compilerOptions": {
    "strict": true,
    "noEmit": true,
    "target": "es2022",
    "module": "esnext",
    "moduleResolution": "bundler",
    "lib": ["es2022", "dom"]
  },
  "files": ["client.ts", "schema.d.ts"]
}
EOF
node_modules/.bin/tsc -p tsconfig.json
echo "both clients compile"
