# bash completion for iot-state
_iot_state() {
    local cur prev
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    case $prev in
        --time-unit) COMPREPLY=($(compgen -W "s ms us ns auto" -- "$cur")); return;;
        --db|--snapshot|--desired|-o|--output|--dead-letter) COMPREPLY=($(compgen -f -- "$cur")); return;;
        --every|--batch|-k|--key|-t|--time-field|--offline-after|--idle|--retry|--max-keys|--deadband|--get|--where|--max-line) return;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--db --snapshot --every --batch --key --time-field --time-unit --offline-after --idle --desired --retry --max-keys --tee --changes --deadband --get --list --where --output --unbuffered --dead-letter --stats --strict --quiet --max-line --help --version" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -F _iot_state iot-state
