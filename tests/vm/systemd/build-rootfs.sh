#!/usr/bin/env bash
# Builds the systemd tier's guest once per package list: a Debian bookworm root file system made
# with mmdebstrap from the archive this machine's apt uses, the cached kernel's modules inside, as
# an ext4 image (mkfs.ext4 -d: no loop mounts), plus a busybox initramfs that mounts it.
# Usage: build-rootfs.sh CACHE_DIR
# Leaves CACHE_DIR/rootfs/KEY/{root.img,initrd.gz} and prints that directory on stdout; KEY hashes
# packages.list, this script, the guest unit, the initramfs init and the kernel version.
# Exit 0 on success, 1 on a build error, 2 when the archive cannot be reached (the caller skips).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=$(cd "${1:?usage: build-rootfs.sh CACHE_DIR}" && pwd)
kdir=$cache/kernel
kver=$(cat "$kdir/version")
[ -d "$kdir/modules/$kver/kernel" ] || { echo "build-rootfs: no module tree in $kdir (fetch-kernel.sh --modules)" >&2; exit 1; }

pkgs=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/packages.list" | tr -s ' \n' ',' | sed 's/,$//')
key=$( { echo "$pkgs"; echo "$kver"; cat "$0" "$here/mcd-vmtest.service" "$here/guest-initramfs-init"; } \
       | sha256sum | cut -c1-16)
out=$cache/rootfs/$key
mkdir -p "$cache/rootfs"
# Two runs at once (ctest -j2, two worktrees): one builds, the other waits for it.
exec 8>"$cache/rootfs/.lock"
flock -w 600 8 || { echo "build-rootfs: $cache/rootfs is locked" >&2; exit 1; }
if [ -s "$out/root.img" ] && [ -s "$out/initrd.gz" ]; then echo "$out"; exit 0; fi

# The Debian mirror the host's apt already uses (no host name kept here).
mirror=${MCD_VM_MIRROR:-$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null \
                          | awk '$2 == "bookworm" { print $1; exit }')}
[ -n "$mirror" ] || { echo "build-rootfs: no bookworm archive in this machine's apt sources (set MCD_VM_MIRROR)" >&2; exit 2; }
command -v mmdebstrap >/dev/null || { echo "build-rootfs: mmdebstrap not installed (scripts/install-deps.sh)" >&2; exit 2; }

tmp=$(mktemp -d "$cache/rootfs/build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
echo "build-rootfs: mmdebstrap bookworm ($pkgs) from $mirror" >&2
if ! mmdebstrap --mode=root --variant=essential --include="$pkgs" \
       --customize-hook='chroot "$1" systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer systemd-timesyncd.service serial-getty@ttyS0.service getty@tty1.service 2>/dev/null || true' \
       bookworm "$root" "deb $mirror bookworm main" "deb $mirror bookworm-backports main" \
       > "$tmp/mmdebstrap.log" 2>&1; then
  tail -n 20 "$tmp/mmdebstrap.log" >&2
  if grep -qE 'Failed to fetch|Could not resolve|Temporary failure|Unable to connect' "$tmp/mmdebstrap.log"; then exit 2; fi
  exit 1
fi

# The kernel's modules (gpio-sim, configfs and whatever udev loads), indexed by the guest's kmod.
mkdir -p "$root/lib/modules"
cp -a "$kdir/modules/$kver" "$root/lib/modules/$kver"
chroot "$root" depmod "$kver"

echo mcd-vm > "$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 mcd-vm\n::1 localhost\n' > "$root/etc/hosts"
# The checks' disk is the second virtio disk; udev's coldplug under a loaded TCG was seen taking
# more than 20 s, hence the long device timeout.
cat > "$root/etc/fstab" <<FSTAB
/dev/vda / ext4 defaults 0 1
/dev/vdb /mnt/vmtest ext4 ro,nofail,x-systemd.device-timeout=180s 0 0
FSTAB
mkdir -p "$root/mnt/vmtest"
cp "$here/mcd-vmtest.service" "$root/etc/systemd/system/"
chroot "$root" systemctl enable mcd-vmtest.service
: > "$root/etc/machine-id"

# The initramfs: static busybox, the root disk's modules decompressed in load order.
ird=$tmp/initrd
mkdir -p "$ird"/{bin,dev,proc,sys,modules,newroot}
cp "$(command -v busybox)" "$ird/bin/busybox"
cp "$here/guest-initramfs-init" "$ird/init"
chmod +x "$ird/init"
dep=$root/lib/modules/$kver/modules.dep
# order_of MODULE_PATH: its dependencies first (modules.dep lists them deepest last), then itself.
order_of() {
  local line deps d
  line=$(grep "^$1:" "$dep") || return 0
  deps=${line#*:}
  for d in $(echo $deps | tr ' ' '\n' | tac); do order_of "$d"; done
  echo "$1"
}
for m in kernel/drivers/block/virtio_blk.ko.xz kernel/fs/ext4/ext4.ko.xz; do order_of "$m"; done \
  | awk '!seen[$0]++' > "$tmp/order"
: > "$ird/modules/order"
while read -r m; do
  b=$(basename "$m" .xz)
  xz -dc "$root/lib/modules/$kver/$m" > "$ird/modules/$b"
  echo "$b" >> "$ird/modules/order"
done < "$tmp/order"
(cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1) > "$tmp/initrd.gz"

# The image: the tree plus room for the package, the state and the journal.
size_mb=$(( $(du -sm "$root" | cut -f1) + 512 ))
mkfs.ext4 -q -F -L mcdroot -d "$root" "$tmp/root.img" "${size_mb}M" >&2
mkdir -p "$out.new"
mv "$tmp/root.img" "$tmp/initrd.gz" "$out.new/"
rm -rf "$out"; mv "$out.new" "$out"
# Older keys are stale images: keep only this one.
find "$cache/rootfs" -mindepth 1 -maxdepth 1 -type d ! -name "$key" ! -name 'build.*' -exec rm -rf {} +
echo "build-rootfs: guest cached in $out" >&2
echo "$out"
