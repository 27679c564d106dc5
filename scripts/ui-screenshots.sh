#!/usr/bin/env bash
# Takes the screenshots of the web pages in docs/ui/ from the browser test's run: each page at
# 1280x800 and 390 px wide (Tests/Browser/web_flow.py --screenshots, through WebBrowserTests).
#
#   scripts/ui-screenshots.sh          # builds the tests if needed, runs the browser test, writes docs/ui/*.png
#
# Needs chromium, chromium-driver and python3-selenium (scripts/setup.sh). Exits non-zero when the
# browser test fails or a screenshot is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="$PWD/docs/ui"
mkdir -p "$out"
rm -f "$out"/*.png
swift build --build-tests >/dev/null
CI=true MEZHVED_UI_SCREENSHOTS="$out" swift test --skip-build --filter WebBrowserTests
for page in signin compose-errors compose-preview document document-letter journal verify forbidden audit audit-charts document-auditor; do
    for width in 1280 390; do
        [[ -s "$out/$page-$width.png" ]] || { echo "ui-screenshots: no $out/$page-$width.png" >&2; exit 1; }
    done
done
echo "ui-screenshots: $(ls "$out"/*.png | wc -l) screenshots in docs/ui/"
