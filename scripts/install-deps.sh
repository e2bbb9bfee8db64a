#!/bin/sh
# Install the Debian packages listed in scripts/packages.txt (or in the list
# file given as the argument, e.g. scripts/packages-oracle.txt) that are
# missing. Idempotent and quick when everything is present.
# As root it runs apt-get; otherwise it lists what is missing and fails.
set -eu
here=$(dirname "$0")
list=${1:-"$here/packages.txt"}
wanted=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$list")
missing=""
for p in $wanted; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = "installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing Debian packages:$missing (run as root, or install them)" >&2
	exit 1
fi
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
