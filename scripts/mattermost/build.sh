#!/usr/bin/env bash
# Builds the Mattermost server (Team Edition) from source through the Go module proxy at pinned
# versions and caches it outside the repository, so a second run only checks the cache.
#
#   scripts/mattermost/build.sh        prints the cache directory (the server's working directory)
#
# Layout of the cache directory ($POSTBOT_MM_CACHE or ~/.cache/postbot/mattermost/<version>/):
#   bin/mattermost   the server binary          i18n/ templates/ fonts/   from the server module
#   client/          empty (no web app)         .complete                 written last
set -euo pipefail

MM_VERSION="11.4.0"
SERVER_MODULE="github.com/mattermost/mattermost/server/v8"
SERVER_VERSION="v8.0.0-20260113162330-9e1d4c2072c0"
PUBLIC_MODULE="github.com/mattermost/mattermost/server/public"
PUBLIC_VERSION="v0.1.22-0.20260113165922-8e4cadbc88ee"

cache_root="${POSTBOT_MM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/postbot/mattermost}"
dest="$cache_root/$MM_VERSION"

die() { echo "mattermost build: $*" >&2; exit "${2:-1}"; }

if [ -f "$dest/.complete" ] && [ -x "$dest/bin/mattermost" ]; then
  echo "$dest"
  exit 0
fi

command -v go >/dev/null 2>&1 ||
  die "Go is missing: install Go >= 1.24 (https://go.dev/doc/install) and put 'go' on PATH." 10

export GONOSUMDB="github.com/mattermost/mattermost"
export GOFLAGS="-mod=mod -buildvcs=false"
export GOTOOLCHAIN=local
export CGO_ENABLED=0

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat >"$work/go.mod" <<MOD
module postbot.local/mattermost-build

go 1.24.11

require (
	$SERVER_MODULE $SERVER_VERSION
	$PUBLIC_MODULE $PUBLIC_VERSION
)

replace github.com/olekukonko/tablewriter => github.com/olekukonko/tablewriter v0.0.5
MOD

echo "mattermost build: downloading modules (Mattermost $MM_VERSION) through $(go env GOPROXY)" >&2
start=$(date +%s)
if ! (cd "$work" && go mod download "$SERVER_MODULE" "$PUBLIC_MODULE" >&2); then
  die "cannot download $SERVER_MODULE@$SERVER_VERSION through the Go module proxy ($(go env GOPROXY)); check GOPROXY and the network." 11
fi
echo "mattermost build: modules in $(($(date +%s) - start)) s; compiling (several minutes on 2 cores)" >&2
start=$(date +%s)
mkdir -p "$dest.tmp/bin"
if ! (cd "$work" && go build -trimpath -o "$dest.tmp/bin/mattermost" "$SERVER_MODULE/cmd/mattermost" >&2); then
  die "go build of $SERVER_MODULE/cmd/mattermost failed (see above)." 12
fi
echo "mattermost build: compiled in $(($(date +%s) - start)) s" >&2

srcdir="$(cd "$work" && go list -m -f '{{.Dir}}' "$SERVER_MODULE")"
[ -d "$srcdir/i18n" ] || die "module directory $srcdir has no i18n/" 12
for d in i18n templates fonts; do
  rm -rf "${dest:?}.tmp/$d"
  cp -r "$srcdir/$d" "$dest.tmp/$d"
done
chmod -R u+w "$dest.tmp"
mkdir -p "$dest.tmp/client"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
date -u +%FT%TZ >"$dest/.complete"
echo "$dest"
