# bash completion for iot-top
_iot_top() {
    local cur prev
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    case $prev in
        --sort) COMPREPLY=($(compgen -W "busy name alarms" -- "$cur")); return;;
        --filter) COMPREPLY=($(compgen -W "all alarms offline" -- "$cur")); return;;
        --color) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return;;
        --time-unit) COMPREPLY=($(compgen -W "s ms us ns auto" -- "$cur")); return;;
        -o|--output|--dead-letter) COMPREPLY=($(compgen -f -- "$cur")); return;;
        -f|--fields|-k|--key|-t|--time-field|--refresh|--offline|--hold|--max-keys|-w|--width|--max-line) return;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--fields --key --time-field --time-unit --follow --once --refresh --offline --hold --sort --filter --color --max-keys --width --output --unbuffered --dead-letter --stats --strict --quiet --max-line --help --version" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -F _iot_top iot-top
