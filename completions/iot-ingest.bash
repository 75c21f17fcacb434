# bash completion for iot-ingest
_iot_ingest() {
    local cur prev
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    case $prev in
        -f|--format) COMPREPLY=($(compgen -W "ndjson csv auto" -- "$cur")); return ;;
        --time-unit) COMPREPLY=($(compgen -W "s ms us ns auto" -- "$cur")); return ;;
        --unknown-assets) COMPREPLY=($(compgen -W "keep dead-letter count" -- "$cur")); return ;;
        --rebase) COMPREPLY=($(compgen -W "now" -- "$cur")); return ;;
        --csv-delimiter) COMPREPLY=($(compgen -W ", ; tab |" -- "$cur")); return ;;
        -o|--output|--dead-letter|--schema|--assets) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        -k|--key|-t|--time-field|--csv-columns|--speed|--rename|--ingest-time|--set|--drop|\
        --assets-prefix|--dedupe-window|--dedupe-max|--deadband|--swinging-door|--max-gap|\
        --max-keys|--max-line|--eval|--where|--select|--now) return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--key --time-field --time-unit --format --csv-columns
            --csv-delimiter --merge --replay --speed --rebase --schema --rename --ingest-time
            --set --drop --assets --assets-prefix --unknown-assets --dedupe --dedupe-window
            --dedupe-max --deadband --swinging-door --max-gap --max-keys --eval --where --select --now
            --output --unbuffered
            --dead-letter --stats --strict --quiet --max-line --help --version" -- "$cur"))
        return
    fi
    COMPREPLY=($(compgen -f -- "$cur"))
}
complete -F _iot_ingest iot-ingest
