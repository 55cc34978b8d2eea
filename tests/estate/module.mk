# Issue 17 end to end (tests/estate/): the estate run from the office's
# console, fed to a managed cabinet, in Chromium by clicks and taps.
TEST_SCRIPTS += tests/estate/t-estate.sh
