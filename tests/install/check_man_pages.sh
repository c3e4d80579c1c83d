#!/usr/bin/env bash
# ctest man_pages: mps3d.1, mps3ctl.1 and mps3d.conf.5 render with groff without a single
# warning (-ww), carry the project's version, and name what they document: every option of
# mps3d --help, every command and option of mps3ctl's helps, every key of the example
# config/mps3d.conf (which a unit test keeps equal to the keys mps3d accepts).
#
#   check_man_pages.sh MPS3D MPS3CTL MAN_DIR PROJECT_VERSION EXAMPLE_CONFIG
set -euo pipefail
mps3d=$1 mps3ctl=$2 dir=$3 version=$4 example_config=$5
source "$(dirname "$0")/cli_help.sh"
failures=0
fail() { echo "check_man_pages: $*" >&2; failures=$((failures + 1)); }

# The page as plain text: no hyphenation and long lines, so that every name stays whole.
plain() { groff -man -Tascii -rHY=0 -rLL=300n -P-cbou "$1" 2>/dev/null; }
names() {  # page what names...: each name must be in the page as a word of its own
    local page=$1 what=$2 text
    shift 2
    text=$(plain "$dir/$page")
    for name in "$@"; do
        grep -qE -- "(^|[^a-zA-Z_-])${name}([^a-zA-Z_-]|$)" <<<"$text" ||
            fail "$page does not mention the $what $name"
    done
}

for page in mps3d.1 mps3ctl.1 mps3d.conf.5; do
    warnings=$(groff -man -Tutf8 -ww -z "$dir/$page" 2>&1) || fail "groff failed on $page"
    [[ -z $warnings ]] || fail "$page: groff warns: $warnings"
    grep -q "^\.TH .* \"mps3d ${version%.*}\"" "$dir/$page" ||
        fail "$page: its .TH line does not say \"mps3d ${version%.*}\""
done

names mps3d.1 option $("$mps3d" --help | help_options)
commands=$("$mps3ctl" --help | help_commands)
[[ -n $commands ]] || fail "no commands found in mps3ctl --help"
names mps3ctl.1 command $commands
names mps3ctl.1 option $( ("$mps3ctl" --help; for c in $commands; do "$mps3ctl" "$c" --help; done) |
    help_options)
keys=$(sed -nE 's/^(# )?([a-z_]+) = .*/\2/p' "$example_config" | sort -u)
[[ -n $keys ]] || fail "no keys found in $example_config"
names mps3d.conf.5 key $keys

if ((failures)); then
    echo "check_man_pages: $failures failure(s)" >&2
    exit 1
fi
echo "check_man_pages: the pages render without warnings and document every option and key"
