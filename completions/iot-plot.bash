# bash completion for iot-plot
_iot_plot() {
    local cur prev
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    case $prev in
        --time-unit) COMPREPLY=($(compgen -W "s ms us ns auto" -- "$cur")); return;;
        -o|--output|--dead-letter) COMPREPLY=($(compgen -f -- "$cur")); return;;
        -f|--fields|-k|--key|-t|--time-field|--gap|--tz|--max-keys|--stale|--title|-w|--width|--panel-height|--max-line) return;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--fields --key --time-field --time-unit --tz --overlay --gap --max-keys --html --fleet --report --hist --stale --title --width --panel-height --output --unbuffered --dead-letter --stats --strict --quiet --max-line --help --version" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -F _iot_plot iot-plot
