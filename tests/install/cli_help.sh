# Reading CLI11's --help text, for the checks that compare the completions and man pages with
# the programs (sourced by check_completions.sh and check_man_pages.sh).

# The options in a help text: the first word of each line of its "Options:" section, split at
# commas ("-h,--help"), sorted and unique.
help_options() {
    awk '/^(Options|OPTIONS):$/ {inside = 1; next}
         inside && /^$/ {inside = 0}
         inside && /^  -/ {n = split($1, names, ","); for (i = 1; i <= n; i++) print names[i]}' |
        sort -u
}

# The commands in a help text: its "Subcommands:" section.
help_commands() {
    awk '/^(Subcommands|SUBCOMMANDS):$/ {inside = 1; next}
         inside && /^$/ {inside = 0}
         inside && /^  [a-z]/ {print $1}' | sort -u
}
