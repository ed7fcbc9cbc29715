#!/bin/bash
# Regenerate the Linux 7.2 x86 ZONE_MOVABLE ground truth (QEMU TCG + Debian sid amd64 kernel):
# kernelcore= / movablecore= / kernelcore=mirror / movable_node boots, logs as in 7.2/.
# Adapted from regen.sh (tools/ of the shared QEMU corpus): the same apt handling, trim(), meta.py
# sidecars and determinism check, but amd64 only (no arm64 fetch, no DTBs) and only the configs below.
#
# usage: regen-movable.sh [WORK] [OUT]
#          WORK default ${TMPDIR:-/tmp}/memboot-qemu-movable      (debs, vmlinuz, raw boot logs,
#                                                                   times.txt, versions.txt, memblock-stats.txt)
#          OUT  default ${TMPDIR:-/tmp}/memboot-qemu-movable-out  (NAME.log + NAME.log.meta.json only)
#        Nothing is written into the repository unless OUT is pointed there, e.g.
#          bash firmware-tables/qemu/regen-movable.sh /tmp/w firmware-tables/qemu/7.2
# env:   APTDIR=${TMPDIR:-/tmp}/memboot-apt   private apt config (sources.list + lists + cache); created if missing.
#                                             /etc/apt is never touched; only `apt-get download` is used.
#        UPDATE=1                run `apt-get update` on the private config even if lists exist
#        KVER=7.2.13+deb14       kernel ABI to fetch (linux-binary-$KVER-amd64)
#        VARIANT=binary          binary (signed, what linux-image-$KVER-amd64 depends on) | binary-unsigned
#        RUNS=2                  boots per configuration (runs 2.. only feed the determinism check)
#        ONLY=regex              only configs whose name matches
#        TIMEOUT=300             per boot, seconds
#        TOOLS=dir               where meta.py + analyze.py live; default: $HERE/tools if it has meta.py,
#                                else /work/shared/corpus/qemu/tools
# needs: qemu-system-x86 (7.2 tested: 7.2.22, Debian 1:7.2+dfsg-7+deb12u18+b3), python3, bc, file,
#        apt-get, dpkg-deb
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${1:-${TMPDIR:-/tmp}/memboot-qemu-movable}
OUT=${2:-${TMPDIR:-/tmp}/memboot-qemu-movable-out}   # never the committed corpus folder by default
APTDIR=${APTDIR:-${TMPDIR:-/tmp}/memboot-apt}
KVER=${KVER:-7.2.13+deb14}
VARIANT=${VARIANT:-binary}
RUNS=${RUNS:-2}
ONLY=${ONLY:-}
TO=${TIMEOUT:-300}
if [ -z "${TOOLS:-}" ]; then
  if [ -f "$HERE/tools/meta.py" ]; then TOOLS=$HERE/tools; else TOOLS=/work/shared/corpus/qemu/tools; fi
fi
[ -f "$TOOLS/meta.py" ] && [ -f "$TOOLS/analyze.py" ] || { echo "meta.py/analyze.py not found in TOOLS=$TOOLS"; exit 1; }
mkdir -p "$WORK/deb" "$WORK/raw" "$OUT" || exit 1
OUT=$(cd "$OUT" && pwd); cd "$WORK" || exit 1
chown _apt: deb 2>/dev/null || true
T0=$(date +%s)

# ---------------------------------------------------------------- private apt view of sid (amd64 only)
if [ ! -f "$APTDIR/sources.list" ]; then
  mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
  echo 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main' > "$APTDIR/sources.list"
fi
mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
APTO=(-o "Dir::Etc::SourceList=$APTDIR/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o "Dir::State::Lists=$APTDIR/lists" -o "Dir::Cache=$APTDIR/cache"
      -o APT::Architectures::=amd64)
if [ "${UPDATE:-0}" = 1 ] || ! ls "$APTDIR"/lists/*_Packages* >/dev/null 2>&1; then
  apt-get "${APTO[@]}" update -qq || { echo "apt-get update (private config) failed"; exit 1; }
fi

# ---------------------------------------------------------------- kernel (same unpacking as regen.sh)
: > "$WORK/versions.txt"
qemu-system-x86_64 --version | head -1 >> "$WORK/versions.txt"
fetch_kernel() { # arch
  local a=$1 sfx=""
  local pk="linux-$VARIANT-$KVER-$a"
  ( cd deb && apt-get "${APTO[@]}" download -qq "linux-image-$KVER-$a$sfx" "$pk$sfx" "linux-base-$KVER-$a$sfx" ) || return 1
  rm -rf "k$a"; mkdir -p "k$a"
  dpkg-deb --fsys-tarfile deb/"${pk}"_*_"$a".deb | tar -x -C "k$a" "./usr/lib/modules/$KVER-$a/" || return 1
  dpkg-deb --fsys-tarfile deb/"linux-base-$KVER-$a"_*_"$a".deb | tar -x -C "k$a" "./usr/lib/modules/$KVER-$a/config" || return 1
  cp "k$a/usr/lib/modules/$KVER-$a/"vmlinuz* "vmlinuz-$KVER-$a"
  cp "k$a/usr/lib/modules/$KVER-$a/config" "config-$KVER-$a"
  for p in "linux-image-$KVER-$a" "$pk" "linux-base-$KVER-$a"; do
    echo "$p$sfx $(apt-cache "${APTO[@]}" policy "$p$sfx" | awk '/Candidate/{print $2}') sha256=$(sha256sum deb/"${p}"_*_"$a".deb | cut -c1-64)" >> "$WORK/versions.txt"
  done
  echo "vmlinuz-$KVER-$a sha256=$(sha256sum "vmlinuz-$KVER-$a" | cut -c1-64) ($(file -b "vmlinuz-$KVER-$a" | cut -c1-60))" >> "$WORK/versions.txt"
  printf -v "PKG_$a" '%s' "$pk$sfx"
  printf -v "PKGVER_$a" '%s' "$(apt-cache "${APTO[@]}" policy "$pk$sfx" | awk '/Candidate/{print $2}')"
}
fetch_kernel amd64 || { echo "amd64 kernel download/unpack failed"; exit 1; }
QV=$(qemu-system-x86_64 --version | head -1)
: > "$WORK/times.txt"

# ---------------------------------------------------------------- helpers (trim() identical to regen.sh)
trim() { # raw -> trimmed: first "[ t ]" line .. "Memory: ... available" + 80 lines
  tr -d '\r' < "$1" | sed -e 's/\x1bc//g; s/\x1b\[[0-9;?]*[a-zA-Z]//g' \
   | awk '!s && /^\[ *[0-9]+\.[0-9]+\] /{s=1} s{print} s&&/\] Memory: .*available/{m=1} m{n++} m&&n>80{exit}'
}
SET=movable
boot() { # NAME -- qemu args (no binary)
  local name=$1; shift 2
  if [ -n "$ONLY" ] && ! [[ $name =~ $ONLY ]]; then return; fi
  local bin=qemu-system-x86_64 a=amd64 od=$OUT
  local margs=() r s t rc
  for r in $(seq 1 "$RUNS"); do
    s=$(date +%s.%N)
    timeout "$TO" "$bin" "$@" </dev/null > "raw/$name.$r.log" 2>&1; rc=$?
    t=$(echo "$(date +%s.%N) - $s" | bc)
    printf '%-8s %-34s run %s rc=%-3s wall=%6.1fs memblock_lines=%s\n' "$SET" "$name" "$r" "$rc" "$t" \
      "$(grep -cE '\] (__)?memblock_[a-z_]+: ' "raw/$name.$r.log")" | tee -a "$WORK/times.txt"
    margs+=(--raw "raw/$name.$r.log" --wall "$t" --rc "$rc")
  done
  local log="$od/$name.log"
  trim "raw/$name.1.log" > "$log"
  local pkv=PKG_$a pvv=PKGVER_$a
  python3 "$TOOLS/meta.py" --out "$od/$name.log.meta.json" --name "$name" --set "$SET" --arch x86 \
    --log "$log" --gz 0 --pkg "${!pkv}" --pkgver "${!pvv}" \
    --meta-pkg "linux-image-$KVER-$a" --kernel "vmlinuz-$KVER-$a" --qemu-version "$QV" \
    "${margs[@]}" -- "$bin" "$@"
  # quick checks, printed only
  grep -q 'Movable zone start for each node' "$log" || echo "  !! $name: no 'Movable zone start for each node' line"
  grep -q '\] Memory: .*available' "$log" || echo "  !! $name: no 'Memory: ... available' line"
}

# ---------------------------------------------------------------- x86_64 (pc/i440FX, SeaBIOS), as regen.sh
AX="console=ttyS0 earlyprintk=serial memblock=debug loglevel=8 panic=-1 nokaslr"
QX=(-accel tcg -nographic -no-reboot -kernel "vmlinuz-$KVER-amd64")
NUMA3=(-object memory-backend-ram,id=m0,size=1G -object memory-backend-ram,id=m1,size=2G
       -object memory-backend-ram,id=m2,size=3G -numa node,nodeid=0,memdev=m0,cpus=0
       -numa node,nodeid=1,memdev=m1,cpus=1 -numa node,nodeid=2,memdev=m2
       -numa dist,src=0,dst=1,val=20 -numa dist,src=0,dst=2,val=30 -numa dist,src=1,dst=2,val=25)

boot x86-6G-kernelcore2G               -- "${QX[@]}" -smp 2 -m 6G -append "$AX kernelcore=2G"
boot x86-6G-movablecore30pct           -- "${QX[@]}" -smp 2 -m 6G -append "$AX movablecore=30%"
boot x86-6G-kernelcore-mirror          -- "${QX[@]}" -smp 2 -m 6G -append "$AX kernelcore=mirror"
boot x86-numa3-kernelcore1500M         -- "${QX[@]}" -smp 2 -m 6G "${NUMA3[@]}" -append "$AX kernelcore=1500M"
boot x86-numa3-movablecore4G           -- "${QX[@]}" -smp 2 -m 6G "${NUMA3[@]}" -append "$AX movablecore=4G"
# slots/maxmem: QEMU's SRAT gets a hotpluggable range for the device-memory area (above the RAM)
boot x86-numa3-movable_node            -- "${QX[@]}" -smp 2 -m 6G,slots=2,maxmem=10G "${NUMA3[@]}" -append "$AX movable_node"
boot x86-6G-kernelcore2G-movablecore1G -- "${QX[@]}" -smp 2 -m 6G -append "$AX kernelcore=2G movablecore=1G"

# ---------------------------------------------------------------- summaries (into WORK, not OUT)
( cd "$OUT" && ls *.log >/dev/null 2>&1 && python3 "$TOOLS/analyze.py" $(ls *.log) ) > "$WORK/memblock-stats.txt" 2>&1
echo "total wall: $(( $(date +%s) - T0 )) s" | tee -a "$WORK/times.txt"
echo "done; logs + sidecars in $OUT; times/versions/memblock-stats in $WORK"
