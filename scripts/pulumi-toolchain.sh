#!/usr/bin/env bash
# Makes a Pulumi CLI that matches the pinned @pulumi/pulumi SDK available to this checkout.
#
# A compatible `pulumi` already on PATH (same major.minor as the SDK) is used as it is. Otherwise the
# CLI is built from Go modules (tools/pulumi) into .toolchain/bin, with its version stamped through
# -ldflags, because the npm registry ships no CLI and PulumiCommand.install() downloads a binary.
# The Node.js analyzer launcher is installed beside it in both cases, so policy packs run without a
# Node.js language host.
#
# Safe to rerun: a binary that already reports the pinned version is kept. The Go build and module
# caches are the user's defaults (GOCACHE, GOMODCACHE), so a rebuild only relinks.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
toolchain_bin="$repo_root/.toolchain/bin"
sdk_package_json="$repo_root/node_modules/@pulumi/pulumi/package.json"
go_module_dir="$repo_root/tools/pulumi"
# The linker variable that `pulumi version` prints; an unset one prints an empty line.
version_variable="github.com/pulumi/pulumi/sdk/v3/go/common/version.Version"
cli_package="github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
# go.mod of tools/pulumi declares go 1.25; an older Go would try to download a newer toolchain.
minimum_go_minor=25

log() {
  printf 'toolchain: %s\n' "$*"
}

fail() {
  printf 'toolchain: error: %s\n' "$*" >&2
  exit 1
}

if [[ ! -f "$sdk_package_json" ]]; then
  fail "$sdk_package_json is missing, so the pinned SDK version is unknown. Run 'npm ci' first."
fi
sdk_version="$(node -p "require(process.argv[1]).version" "$sdk_package_json")"
sdk_minor="${sdk_version%.*}"
log "pinned @pulumi/pulumi is $sdk_version; a CLI $sdk_minor.x is compatible"

# Prints the version a pulumi binary reports, without the leading "v", or nothing.
cli_version() {
  local version
  version="$("$1" version 2>/dev/null || true)"
  printf '%s' "${version#v}"
}

is_compatible() {
  local version="$1"
  [[ "$version" == "$sdk_minor" || "$version" == "$sdk_minor".* ]]
}

install_analyzer_launcher() {
  mkdir -p "$toolchain_bin"
  install -m 0755 "$repo_root/scripts/pulumi-analyzer-policy-nodejs" "$toolchain_bin/pulumi-analyzer-policy-nodejs"
  log "installed the policy analyzer launcher at $toolchain_bin/pulumi-analyzer-policy-nodejs"
}

print_path_hint() {
  log "add the toolchain to PATH with:"
  printf '  export PATH="%s:$PATH"\n' "$toolchain_bin"
}

print_language_host_notice() {
  if command -v pulumi-language-nodejs >/dev/null 2>&1; then
    return
  fi
  cat <<EOF
toolchain: NOTE: the Node.js language host (pulumi-language-nodejs) was not built, because its Go
toolchain:       module is not served by the module proxy. 'pulumi preview' and 'pulumi up' in the
toolchain:       program directory need an official Pulumi install. 'flywheel ci' and the end-to-end
toolchain:       tests do not: they run the stacks as Automation API inline programs.
EOF
}

# 1. A compatible CLI on PATH, other than the one this script built, wins.
path_cli="$(command -v pulumi || true)"
if [[ -n "$path_cli" && "$path_cli" != "$toolchain_bin/pulumi" ]]; then
  path_version="$(cli_version "$path_cli")"
  if is_compatible "$path_version"; then
    log "using $path_cli (v$path_version) from PATH"
    install_analyzer_launcher
    print_language_host_notice
    print_path_hint
    exit 0
  fi
  log "ignoring $path_cli: it reports '${path_version:-no version}', not $sdk_minor.x"
fi

# 2. A CLI this script built earlier with the right version is kept.
built_cli="$toolchain_bin/pulumi"
if [[ -x "$built_cli" ]]; then
  built_version="$(cli_version "$built_cli")"
  if [[ "$built_version" == "$sdk_version" ]]; then
    log "$built_cli is already v$built_version; nothing to build"
    install_analyzer_launcher
    print_language_host_notice
    print_path_hint
    exit 0
  fi
  log "rebuilding $built_cli: it reports '${built_version:-no version}', not $sdk_version"
fi

# 3. Build the CLI from Go modules.
if ! command -v go >/dev/null 2>&1; then
  fail "Go is not on PATH, so the Pulumi CLI cannot be built. Install Go 1.$minimum_go_minor or later \
(or an official Pulumi CLI $sdk_minor.x) and rerun 'npm run toolchain'."
fi
go_version="$(go env GOVERSION)"
go_minor="$(printf '%s' "$go_version" | sed -E 's/^go1\.([0-9]+).*/\1/')"
if [[ ! "$go_minor" =~ ^[0-9]+$ ]] || ((go_minor < minimum_go_minor)); then
  fail "$go_version is too old to build the Pulumi CLI; install Go 1.$minimum_go_minor or later."
fi
if ! grep -q "^tool $cli_package\$" "$go_module_dir/go.mod"; then
  fail "$go_module_dir/go.mod does not declare 'tool $cli_package'; restore it from git."
fi
if ! grep -q "^replace github.com/pulumi/pulumi/sdk/v3 => github.com/pulumi/pulumi/sdk/v3 v$sdk_version\$" \
  "$go_module_dir/go.mod"; then
  log "warning: tools/pulumi/go.mod does not pin the Go SDK module to v$sdk_version; the CLI may differ"
fi

log "building $cli_package v$sdk_version with $go_version (GOCACHE=$(go env GOCACHE))"
log "a cold build downloads the modules and compiles for several minutes; a warm one relinks"
mkdir -p "$toolchain_bin"
started=$SECONDS
if ! (cd "$go_module_dir" && go build -ldflags "-X $version_variable=v$sdk_version" -o "$built_cli.tmp" "$cli_package"); then
  rm -f "$built_cli.tmp"
  fail "go build of $cli_package failed (output above). The module proxy must serve its modules."
fi
mv "$built_cli.tmp" "$built_cli"
built_version="$(cli_version "$built_cli")"
if [[ "$built_version" != "$sdk_version" ]]; then
  fail "the built CLI reports '${built_version:-no version}' instead of $sdk_version; check $version_variable."
fi
log "built $built_cli (v$built_version) in $((SECONDS - started)) s"

install_analyzer_launcher
print_language_host_notice
print_path_hint
