#!/bin/sh
# Writes a C file holding every file of the terminal's pages
# (controller/kiosk/www/) as bytes, with its Content-Type and an ETag, so
# that keycab-kiosk carries its pages:
#   const struct kiosk_file kiosk_www[];  (controller/kiosk/kiosk.h)
#   const size_t kiosk_www_count;
# Usage: embed-www.sh OUT FILE...  (controller/kiosk/module.mk passes every
# file there is in www/; a name is the path under www/)
set -e
out=$1
shift
{
	echo "/* Generated from controller/kiosk/www/ by controller/kiosk/embed-www.sh. */"
	echo "#include \"controller/kiosk/kiosk.h\""
	i=0
	for f in "$@"; do
		echo "static const unsigned char kiosk_www_$i[] = {"
		od -An -v -tx1 "$f" | sed -e 's/  */ /g' -e 's/^ //' -e 's/\([0-9a-f][0-9a-f]\)/0x\1,/g' -e '/^$/d'
		echo "0 };"
		i=$((i + 1))
	done
	echo "const struct kiosk_file kiosk_www[] = {"
	i=0
	for f in "$@"; do
		name=${f#*/www/}
		case $name in
		*.html) type="text/html; charset=utf-8" ;;
		*.js) type="text/javascript; charset=utf-8" ;;
		*.css) type="text/css; charset=utf-8" ;;
		*.json) type="application/json; charset=utf-8" ;;
		*.svg) type="image/svg+xml" ;;
		*.png) type="image/png" ;;
		*.ico) type="image/x-icon" ;;
		*.woff2) type="font/woff2" ;;
		*.txt) type="text/plain; charset=utf-8" ;;
		*) type="application/octet-stream" ;;
		esac
		etag=$(sha256sum "$f" | cut -c1-20)
		size=$(wc -c <"$f")
		echo "	{ \"$name\", \"$type\", \"\\\"$etag\\\"\", kiosk_www_$i, $size },"
		i=$((i + 1))
	done
	echo "};"
	echo "const size_t kiosk_www_count = $#;"
} >"$out.tmp"
mv "$out.tmp" "$out"
