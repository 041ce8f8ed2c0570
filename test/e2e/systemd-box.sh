#!/bin/sh
# Boots a real systemd as PID 1 of a throwaway container, for the service tests
# (systemd.test.ts). Nothing of the host changes:
#   - the root is an overlay of / with its writes in a tmpfs (so /etc/systemd, /usr/local/bin,
#     /etc/logjail and /var/log written in the box vanish with it);
#   - new PID, mount, network, UTS, IPC and cgroup namespaces (firewall rules stay in the box);
#   - fresh /run, /tmp and /dev (a few device nodes); sysfs and /proc/sys read-only;
#   - systemd gets only cgroups below a group made for it (logjail-box-PID), never the host's
#     root groups, and sysinit units that would touch the kernel are masked.
# A first attempt without the overlay and the private /tmp let systemd-tmpfiles empty the
# host's /tmp, and without the cgroup namespace systemd moved itself to the host's root groups.
#
#   systemd-box.sh SCRATCH [DIR...]  (as root; SCRATCH: an empty directory on the host)
# Each DIR is shown read-only in the box at its own path (the checkout under test: it may live
# below /tmp, which the box replaces). systemd's host PID is the only child of this script's
# PID (it execs unshare).
set -eu

if [ "${1:-}" != inside ]; then
	scratch=$1
	name=logjail-box-$$
	# the group is made below our own in each hierarchy, so whoever tracks this test's
	# processes by cgroup still finds the box's
	own() { sed -n "s/^$1//p" /proc/self/cgroup | sed 's|/$||'; }
	box() { # box DIR: make the group, move this shell into it
		mkdir "$1"
		echo $$ >"$1/cgroup.procs"
		echo "$1" >>"$scratch.cgroups"
	}
	if [ -d /sys/fs/cgroup/unified ] || [ -d /sys/fs/cgroup/systemd ]; then
		[ -d /sys/fs/cgroup/systemd ] && box "/sys/fs/cgroup/systemd$(own '[0-9]*:name=systemd:')/$name"
		[ -d /sys/fs/cgroup/unified ] && box "/sys/fs/cgroup/unified$(own '0::')/$name"
		layout=hybrid
	else
		box "/sys/fs/cgroup$(own '0::')/$name"
		layout=unified
	fi
	shift
	exec unshare --pid --fork --mount --net --uts --ipc --cgroup --propagation private \
		/bin/sh "$0" inside "$scratch" "$layout" "$@"
fi

scratch=$2
layout=$3
shift 3
mount -t tmpfs -o mode=700 tmpfs "$scratch"
mkdir "$scratch/upper" "$scratch/work" "$scratch/root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$scratch/upper,workdir=$scratch/work" "$scratch/root"
R=$scratch/root

mount -t proc proc "$R/proc"
mount --bind "$R/proc/sys" "$R/proc/sys"
mount -o remount,bind,ro "$R/proc/sys"
mount -t sysfs -o ro sysfs "$R/sys"
mount -t tmpfs -o mode=755 tmpfs "$R/sys/fs/cgroup"
if [ "$layout" = hybrid ]; then
	# mounted inside the cgroup namespace: rooted at the group made above
	mkdir "$R/sys/fs/cgroup/systemd" "$R/sys/fs/cgroup/unified"
	mount -t cgroup -o none,name=systemd cgroup "$R/sys/fs/cgroup/systemd"
	mount -t cgroup2 cgroup2 "$R/sys/fs/cgroup/unified"
else
	umount "$R/sys/fs/cgroup"
	mount -t cgroup2 cgroup2 "$R/sys/fs/cgroup"
fi
# read-only, or systemd mounts every v1 controller there at boot and makes its groups in them
[ "$layout" = hybrid ] && mount -o remount,ro tmpfs "$R/sys/fs/cgroup"

mount -t tmpfs -o mode=755 tmpfs "$R/dev"
for n in null zero full random urandom tty; do
	touch "$R/dev/$n"
	mount --bind "/dev/$n" "$R/dev/$n"
done
mkdir "$R/dev/pts" "$R/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"
mount -t tmpfs -o mode=1777 tmpfs "$R/dev/shm"
mount -t tmpfs -o mode=755 tmpfs "$R/run"
mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
for d in "$@"; do
	mkdir -p "$R$d"
	mount --bind "$d" "$R$d"
	mount -o remount,bind,ro "$R$d"
done

units=$R/run/systemd/system
mkdir -p "$units"
printf '[Unit]\nDescription=logjail test box\n' >"$units/logjail-box.target"
for u in systemd-modules-load.service systemd-sysctl.service systemd-binfmt.service \
	systemd-tmpfiles-setup-dev.service systemd-udevd.service systemd-udev-trigger.service \
	proc-sys-fs-binfmt_misc.automount sys-kernel-debug.mount sys-kernel-tracing.mount \
	sys-kernel-config.mount sys-fs-fuse-connections.mount dev-hugepages.mount dev-mqueue.mount \
	systemd-random-seed.service systemd-hwdb-update.service getty.target console-getty.service \
	systemd-tmpfiles-setup.service systemd-tmpfiles-clean.timer; do
	ln -s /dev/null "$units/$u"
done
echo logjail-box >"$R/etc/hostname"

cd "$R"
mkdir -p .box-old
pivot_root . .box-old
umount -l /.box-old
rmdir /.box-old
exec env -i container=logjail-box PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	/lib/systemd/systemd --system --unit=logjail-box.target
