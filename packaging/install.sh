#!/bin/sh
# Install logjail on this machine.
#
#   sudo packaging/install.sh [--fail2ban-names] [--in-place] [--no-build] [--no-enable]
#                             [--prefix /usr/local] [--app-dir /opt/logjail] [--root DIR] [--force]
#
# What it does:
#   1. the program: by default copies the package (sources, package.json, lock file) to
#      --app-dir (/opt/logjail), runs `npm ci`, `npm run build`, then `npm prune --omit=dev`.
#      --in-place uses this checkout instead (it builds it unless --no-build). --no-build
#      without --in-place copies this checkout's dist/ and node_modules/ (offline install).
#   2. the configuration: copies config/ to /etc/logjail if that directory does not exist yet
#      (an existing one is never touched), and creates /var/lib/logjail (the SQLite store).
#   3. commands: links <prefix>/bin/logjail, and with --fail2ban-names also fail2ban-client,
#      fail2ban-regex and fail2ban-server (an existing file of that name that is not our link
#      is left alone unless --force: it is probably the real fail2ban).
#   4. the service: with systemd running, installs logjail.service, `daemon-reload`s and
#      enables it (--no-enable: install only). Without systemd, installs the SysV script
#      /etc/init.d/logjail instead (start|stop|reload|status) and says how to start it.
#   5. log rotation: /etc/logrotate.d/logjail for /var/log/logjail.log (when logrotate's
#      directory exists; an existing file is kept), reopening the log with `flushlogs`.
#
# --root DIR writes everything below DIR (a staging root, like DESTDIR) and never runs
# systemctl: used by the tests and for building packages.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
prefix=/usr/local
appdir=/opt/logjail
root=
inplace=0
build=1
enable=1
names=0
force=0

die() {
	echo "install.sh: $*" >&2
	exit 1
}
say() { echo "install.sh: $*"; }

while [ $# -gt 0 ]; do
	case "$1" in
		--prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; prefix=$2; shift ;;
		--prefix=*) prefix=${1#*=} ;;
		--app-dir) [ $# -ge 2 ] || die "--app-dir needs a directory"; appdir=$2; shift ;;
		--app-dir=*) appdir=${1#*=} ;;
		--root) [ $# -ge 2 ] || die "--root needs a directory"; root=$2; shift ;;
		--root=*) root=${1#*=} ;;
		--in-place) inplace=1 ;;
		--no-build) build=0 ;;
		--no-enable) enable=0 ;;
		--fail2ban-names) names=1 ;;
		--force) force=1 ;;
		-h | --help) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
		*) die "unknown option $1 (see --help)" ;;
	esac
	shift
done
case "$prefix" in /*) ;; *) die "--prefix must be absolute: $prefix" ;; esac
case "$appdir" in /*) ;; *) die "--app-dir must be absolute: $appdir" ;; esac
if [ -n "$root" ]; then
	mkdir -p "$root"
	root=$(cd "$root" && pwd)
fi

bindir=$prefix/bin
confdir=/etc/logjail
[ "$inplace" = 1 ] && appdir=$here

# ---- 1. the program --------------------------------------------------------------------
if [ "$inplace" = 0 ]; then
	command -v npm >/dev/null || die "npm not found (Node.js 20 with npm is required)"
	dest=$root$appdir
	say "installing the package into $dest"
	mkdir -p "$dest"
	for f in package.json package-lock.json tsconfig.json tsconfig.build.json src config bench; do
		[ -e "$here/$f" ] && cp -R "$here/$f" "$dest/"
	done
	if [ "$build" = 1 ]; then
		(cd "$dest" && npm ci --no-audit --no-fund && npm run build && npm prune --omit=dev --no-audit --no-fund)
	else
		# offline: take this checkout's build and modules as they are
		for f in dist node_modules; do
			[ -e "$here/$f" ] && cp -R "$here/$f" "$dest/"
		done
	fi
else
	dest=$appdir
	if [ "$build" = 1 ]; then
		say "building $dest"
		(cd "$dest" && npm run build)
	fi
fi
[ -f "$dest/dist/src/cli/logjail.js" ] || die "$dest/dist/src/cli/logjail.js is missing (build failed, or --no-build without a build)"

# ---- 2. configuration and state --------------------------------------------------------
if [ -e "$root$confdir" ]; then
	say "$root$confdir exists; configuration left as it is"
else
	mkdir -p "$root$confdir"
	cp -R "$here/config/." "$root$confdir/"
	say "configuration installed in $root$confdir (edit jail.local there)"
fi
mkdir -p "$root/var/lib/logjail"
chmod 0700 "$root/var/lib/logjail"

# ---- 3. commands -----------------------------------------------------------------------
mkdir -p "$root$bindir"
link() { # link NAME TARGET
	target=$appdir/dist/src/cli/$2
	# already executable: leave it (the checkout may be read-only)
	if [ -e "$root$target" ]; then t=$root$target; else t=$target; fi
	[ -x "$t" ] || chmod 0755 "$t"
	l=$root$bindir/$1
	if [ -e "$l" ] && [ ! -L "$l" ] && [ "$force" = 0 ]; then
		say "$l exists and is not a link (fail2ban?); not replaced (use --force)"
		return 0
	fi
	ln -sfn "$target" "$l"
	say "linked $l -> $target"
}
link logjail logjail.js
if [ "$names" = 1 ]; then
	link fail2ban-client fail2ban-client.js
	link fail2ban-regex fail2ban-regex.js
	link fail2ban-server fail2ban-server.js
fi

# ---- 4. the service --------------------------------------------------------------------
systemd=0
if [ -z "$root" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then systemd=1; fi
subst() {
	sed -e "s|@BINDIR@|$bindir|g" -e "s|@CONFDIR@|$confdir|g" -e "s|@LOGJAIL@|$bindir/logjail|g" "$1"
}
if [ "$systemd" = 1 ] || [ -n "$root" ]; then
	mkdir -p "$root/etc/systemd/system"
	subst "$here/packaging/logjail.service" > "$root/etc/systemd/system/logjail.service"
	say "unit installed: $root/etc/systemd/system/logjail.service"
fi
if [ "$systemd" = 1 ]; then
	systemctl daemon-reload
	if [ "$enable" = 1 ]; then
		systemctl enable logjail.service
		say "enabled; start it with: systemctl start logjail"
	fi
else
	mkdir -p "$root/etc/init.d"
	subst "$here/packaging/logjail.init" > "$root/etc/init.d/logjail"
	chmod 0755 "$root/etc/init.d/logjail"
	if [ -z "$root" ]; then
		say "systemd is not running here; SysV script installed: /etc/init.d/logjail"
		say "start with: /etc/init.d/logjail start   (status: /etc/init.d/logjail status)"
	fi
fi
# ---- 5. log rotation -------------------------------------------------------------------
# the server log (fail2ban.conf's logtarget in the shipped config); an existing file is kept
if [ -d "$root/etc/logrotate.d" ] || [ -n "$root" ]; then
	rot=$root/etc/logrotate.d/logjail
	if [ -e "$rot" ]; then
		say "$rot exists; left as it is"
	else
		mkdir -p "$root/etc/logrotate.d"
		subst "$here/packaging/logjail.logrotate" > "$rot"
		chmod 0644 "$rot"
		say "log rotation installed: $rot"
	fi
fi
say "done"
