#!/usr/bin/env bash
# ctest shell_completions: the bash and zsh completions offer exactly the commands and options
# the programs' --help lists, so an option added to the CLI (daemon/ctl/cli.cpp,
# daemon/mps3d_main.cpp) without its completion fails here.
# bash: the completion functions are run, as bash would, for every command. zsh: the files parse
# (zsh -n), and each option is in the file in the form _arguments reads ('--name[' or
# '--name=['), each command in the command list and a case branch; nothing is offered there that
# --help does not list.
#
#   check_completions.sh MPS3D MPS3CTL COMPLETIONS_DIR
set -euo pipefail
mps3d=$1 mps3ctl=$2 dir=$3
failures=0
fail() { echo "check_completions: $*" >&2; failures=$((failures + 1)); }

source "$(dirname "$0")/cli_help.sh"
# What bash's completion function offers for the words given (the last is being completed).
bash_offers() {  # file function words...
    local file=$1 function=$2
    shift 2
    bash -c '
        source "$1"; function=$2; shift 2
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        "$function"
        printf "%s\n" "${COMPREPLY[@]}"' _ "$file" "$function" "$@" | sed '/^$/d' | sort -u
}
same() {  # what, want, got
    if [[ $2 != "$3" ]]; then
        fail "$1: --help lists [$(echo $2)], the completion offers [$(echo $3)]"
    fi
}

[[ -n $(help_options <<<"$("$mps3d" --help)") ]] || fail "no options found in mps3d --help"
[[ -n $(help_commands <<<"$("$mps3ctl" --help)") ]] || fail "no commands found in mps3ctl --help"

# --- bash ---------------------------------------------------------------------------------
bash -n "$dir/bash/mps3d" || fail "bash/mps3d does not parse"
bash -n "$dir/bash/mps3ctl" || fail "bash/mps3ctl does not parse"
same "bash mps3d -" "$("$mps3d" --help | help_options)" \
    "$(bash_offers "$dir/bash/mps3d" _mps3d mps3d -)"
global=$("$mps3ctl" --help | help_options)
same "bash mps3ctl -" "$global" "$(bash_offers "$dir/bash/mps3ctl" _mps3ctl mps3ctl -)"
commands=$("$mps3ctl" --help | help_commands)
same "bash mps3ctl (a command)" "$commands" "$(bash_offers "$dir/bash/mps3ctl" _mps3ctl mps3ctl '')"
for command in $commands; do
    # A command's own options, and the global ones (accepted after the command too).
    want=$( ("$mps3ctl" "$command" --help | help_options; echo "$global") | sort -u)
    same "bash mps3ctl $command -" "$want" \
        "$(bash_offers "$dir/bash/mps3ctl" _mps3ctl mps3ctl "$command" -)"
    # After a global option and its value, too.
    same "bash mps3ctl --store s $command -" "$want" \
        "$(bash_offers "$dir/bash/mps3ctl" _mps3ctl mps3ctl --store s "$command" -)"
done

# --- zsh ----------------------------------------------------------------------------------
if ! command -v zsh >/dev/null; then
    fail "zsh is not installed (./setup.sh installs it), so the zsh files cannot be checked"
else
    zsh -n "$dir/zsh/_mps3d" || fail "zsh/_mps3d does not parse"
    zsh -n "$dir/zsh/_mps3ctl" || fail "zsh/_mps3ctl does not parse"
fi
# The options a zsh completion file offers: the option names _arguments specs start with.
zsh_options() {
    grep -oE "['\"](\([^)]*\))?\*?-{1,2}[a-z][a-z-]*(=?\[)" "$1" |
        sed -E "s/^['\"](\([^)]*\))?\*?//; s/=?\[$//" | sort -u
}
same "zsh _mps3d options" "$("$mps3d" --help | help_options)" "$(zsh_options "$dir/zsh/_mps3d")"
all_ctl_options=$( ("$mps3ctl" --help; for c in $commands; do "$mps3ctl" "$c" --help; done) |
    help_options)
same "zsh _mps3ctl options" "$all_ctl_options" "$(zsh_options "$dir/zsh/_mps3ctl")"
zsh_commands=$(sed -nE "s/^ +'([a-z-]+):.*/\1/p; s/^ +\"([a-z-]+):.*/\1/p" "$dir/zsh/_mps3ctl" |
    sort -u)
same "zsh _mps3ctl commands" "$commands" "$zsh_commands"
for command in $commands; do
    # Each command's options in its own case branch (the lines up to the branch's ';;').
    branch=$(awk -v c="$command" '
        $0 ~ "^ +([a-z-]+ \\| )*" c "( \\| [a-z-]+)*\\)$" {inside = 1; next}
        inside && /;;/ {exit}
        inside {print}' "$dir/zsh/_mps3ctl")
    [[ -n $branch ]] || { fail "zsh _mps3ctl: no case branch for $command"; continue; }
    for option in $("$mps3ctl" "$command" --help | help_options); do
        case $option in -h | --help) continue ;; esac  # in $global_options
        [[ $branch == *"$option["* || $branch == *"$option=["* ||
            ($option == --await && $branch == *'$await_option'*) ]] ||
            fail "zsh _mps3ctl: $command's branch does not offer $option"
    done
done

if ((failures)); then
    echo "check_completions: $failures failure(s)" >&2
    exit 1
fi
echo "check_completions: bash and zsh completions match --help"
