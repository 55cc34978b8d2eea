#!/bin/sh
# Writes a C file holding every file of the terminal's pages
# (controller/kiosk/www/) as bytes, with its Content-Type and an ETag, and
# a text file also gzip-compressed (gzip -9 -n: the same bytes every build)
# with an ETag of its own when that is smaller, so that keycab-kiosk
# carries its pages:
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
		case $f in
		*.html | *.js | *.css | *.json | *.svg | *.txt)
			gzip -9 -n -c "$f" >"$out.gz"
			if [ "$(wc -c <"$out.gz")" -lt "$(wc -c <"$f")" ]; then
				echo "static const unsigned char kiosk_www_gz_$i[] = {"
				od -An -v -tx1 "$out.gz" | sed -e 's/  */ /g' -e 's/^ //' -e 's/\([0-9a-f][0-9a-f]\)/0x\1,/g' -e '/^$/d'
				echo "0 };"
			fi
			rm -f "$out.gz"
			;;
		esac
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
		gz="NULL, 0, NULL"
		case $f in
		*.html | *.js | *.css | *.json | *.svg | *.txt)
			gzsize=$(gzip -9 -n -c "$f" | wc -c)
			[ "$gzsize" -lt "$size" ] && gz="kiosk_www_gz_$i, $gzsize, \"\\\"$etag-gz\\\"\""
			;;
		esac
		echo "	{ \"$name\", \"$type\", \"\\\"$etag\\\"\", kiosk_www_$i, $size, $gz },"
		i=$((i + 1))
	done
	echo "};"
	echo "const size_t kiosk_www_count = $#;"
} >"$out.tmp"
mv "$out.tmp" "$out"
