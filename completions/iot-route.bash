# bash completion for iot-route
_iot_route() {
    local cur prev
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    case $prev in
        --fallback) COMPREPLY=($(compgen -W "- drop file: mqtt:// exec: sh:" -- "$cur")); compopt -o nospace 2>/dev/null; return;;
        --time-unit) COMPREPLY=($(compgen -W "s ms us ns auto" -- "$cur")); return;;
        --routes|-o|--output|--dead-letter|--metrics) COMPREPLY=($(compgen -f -- "$cur")); return;;
        --spool) COMPREPLY=($(compgen -d -- "$cur")); return;;
        -r|--route|--shard|--max-open|--max-bytes|--max-age|--spool-max|--ack-timeout|--metrics-every|-k|--key|-t|--time-field|--max-line) return;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--route --routes --fallback --first --check --shard --key --time-field --time-unit --max-open --max-bytes --max-age --append --spool --spool-max --ack-timeout --metrics --metrics-every --output --unbuffered --dead-letter --stats --strict --quiet --max-line --help --version" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -F _iot_route iot-route
