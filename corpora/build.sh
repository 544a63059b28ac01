#!/usr/bin/env bash
# Rebuilds the real-text corpora (Chinese, English, code) from Debian documentation packages on a
# fresh Debian machine: apt-get download (no installation of the packages themselves), dpkg-deb -x,
# then w3m (HTML), man (man pages) and plain text tools. Output: corpora/data/{zh,en,code}.txt.xz.
#
#   bash corpora/build.sh            (as root, or with w3m, man-db, groff-base and xz-utils installed)
#
# Licences: each package's own (GPL, GFDL, LGPL, PSF; public domain for the fortunes); see
# /usr/share/doc/PACKAGE/copyright inside each package. Package versions are those of the machine's
# Debian release (written to corpora/data/SOURCES), so the text can differ slightly between releases.
set -euo pipefail
cd "$(dirname "$0")"
root=${WORK:-$PWD/build}; out=$PWD/data
debs=$root/debs; x=$root/x; parts=$root/parts
mkdir -p "$debs" "$x" "$parts" "$out"
export LC_ALL=C.UTF-8

tools=()
command -v w3m >/dev/null || tools+=(w3m)
command -v man >/dev/null || tools+=(man-db)
command -v groff >/dev/null || tools+=(groff-base)
command -v xz >/dev/null || tools+=(xz-utils)
command -v col >/dev/null || tools+=(bsdextrautils)
if [ ${#tools[@]} -gt 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${tools[@]}" </dev/null; fi

zh_pkgs="manpages-zh debian-reference-zh-cn debian-edu-doc-zh-cn debian-faq-zh-cn maint-guide-zh-cn fortunes-zh debian-handbook gimp-help-zh-cn"
en_pkgs="manpages manpages-dev debian-reference-en debian-faq maint-guide fortunes fortunes-min gimp-help-en"
py=$(apt-cache depends python3 2>/dev/null | awk '/Depends: python3\.[0-9]+$/ {print $2; exit}')   # e.g. python3.11
code_pkgs="lib${py}-stdlib ${py}-doc linux-libc-dev $(apt-cache search --names-only '^libstdc\+\+-[0-9]+-dev$' | awk '{print $1}' | sort -V | tail -1)"
( cd "$debs" && apt-get download $zh_pkgs $en_pkgs $code_pkgs )
for deb in "$debs"/*.deb; do
  name=$(basename "$deb"); name=${name%%_*}
  [ -d "$x/$name" ] || { mkdir -p "$x/$name"; dpkg-deb -x "$deb" "$x/$name"; }
  dpkg-deb -f "$deb" Package Version | paste -sd' '
done > "$out/SOURCES"

# Text clean-up: no terminal escapes or box drawing, single spaces, trimmed lines, single blank lines.
clean() { perl -CSD -ne 's/\e\[[0-9;]*[A-Za-z]//g; s/\e//g; s/[\x{2500}-\x{257F}]+/ /g; s/[ \t\x{00A0}]{2,}/ /g; s/^\s+//; s/\s+$//; print "$_\n";' | cat -s; }
html() { for f in "$@"; do w3m -dump -cols 4000 -T text/html -I UTF-8 -O UTF-8 "$f" 2>/dev/null || true; echo; done; }
mans() { for f in "$@"; do MANWIDTH=1000 man --nj --nh -E UTF-8 -l "$f" 2>/dev/null | col -bx || true; echo; done; }
fortunes() { for f in "$@"; do sed 's/^%$//' "$f"; done; }
files() { find "$@" -type f 2>/dev/null | sort; }

# Chinese
mans $(files "$x/manpages-zh/usr/share/man/zh_CN" -name '*.gz') | clean > "$parts/zh_manpages.txt"
zcat "$x"/debian-reference-zh-cn/usr/share/debian-reference/*.txt.gz 2>/dev/null | clean > "$parts/zh_debref.txt"
html $(files "$x/debian-edu-doc-zh-cn" "$x/debian-faq-zh-cn" "$x/maint-guide-zh-cn" -name '*.html') | clean > "$parts/zh_docs.txt"
html $(find "$x/debian-handbook" -path '*zh-CN*' -name '*.html' | sort) | clean > "$parts/zh_handbook.txt"
html $(files "$x/gimp-help-zh-cn" -name '*.html') | clean > "$parts/zh_gimp.txt"
fortunes $(files "$x/fortunes-zh/usr/share/games/fortunes" ! -name '*.dat' ! -name '*.u8') | clean > "$parts/zh_fortunes.txt"
# English
mans $(files "$x/manpages/usr/share/man" "$x/manpages-dev/usr/share/man" -name '*.gz') | clean > "$parts/en_manpages.txt"
zcat "$x"/debian-reference-en/usr/share/debian-reference/*.txt.gz 2>/dev/null | clean > "$parts/en_debref.txt"
html $(files "$x/debian-faq" "$x/maint-guide" -name '*.html') | clean > "$parts/en_docs.txt"
html $(find "$x/debian-handbook" -path '*en-US*' -name '*.html' | sort) | clean > "$parts/en_handbook.txt"
html $(files "$x/gimp-help-en" -name '*.html') | clean > "$parts/en_gimp.txt"
fortunes $(files "$x/fortunes/usr/share/games/fortunes" "$x/fortunes-min/usr/share/games/fortunes" ! -name '*.dat' ! -name '*.u8') | clean > "$parts/en_fortunes.txt"
files "$x/${py}-doc" -name '*.txt' | xargs -r cat | perl -CSD -pe 's/\s+$/\n/' | cat -s > "$parts/en_pydoc.txt"
# Code: the Python standard library, then C/C++ headers (libstdc++, Linux UAPI)
files "$x/lib${py}-stdlib/usr/lib" -name '*.py' | grep -v -e dist-packages -e site-packages | xargs -r cat > "$parts/code_python.txt"
files "$x"/libstdc++-*-dev/usr/include "$x/linux-libc-dev/usr/include" | xargs -r cat > "$parts/code_c.txt"

han='[\x{3400}-\x{4DBF}\x{4E00}-\x{9FFF}\x{F900}-\x{FAFF}\x{20000}-\x{2FA1F}]'
# zh: lines with at least one Han character, exact duplicates removed
cat "$parts"/zh_*.txt | perl -CSD -ne "print if /$han/" | awk '!seen[$0]++' | xz -6 > "$out/zh.txt.xz"
# en: duplicate non-empty lines removed
cat "$parts"/en_*.txt | awk 'length($0) == 0 || !seen[$0]++' | cat -s | xz -6 > "$out/en.txt.xz"
cat "$parts/code_python.txt" "$parts/code_c.txt" | xz -6 > "$out/code.txt.xz"
for name in zh en code; do printf '%-5s %12d bytes\n' "$name" "$(xz -dc "$out/$name.txt.xz" | wc -c)"; done
