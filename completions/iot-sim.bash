# bash completion for iot-sim
_iot_sim() {
    local cur prev
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    case $prev in
        --fleet|--assets|--commands|-o|--output|--dead-letter)
            COMPREPLY=($(compgen -f -- "$cur")); return;;
        -f|--format)
            COMPREPLY=($(compgen -W "ndjson csv" -- "$cur")); return;;
        --types)
            COMPREPLY=($(compgen -W "CNC-Machine Pump Compressor Conveyor" -- "$cur")); return;;
        --faults)
            COMPREPLY=($(compgen -W "late=0.01:30s dup=0.001 drop=0.001 malformed=0.0001" -- "$cur")); return;;
        --start)
            COMPREPLY=($(compgen -W "now" -- "$cur")); return;;
        -n|--devices|-s|--seed|-d|--duration|-c|--count|-i|--interval|--jitter|-r|--rate|--speed|--mtbf|--lead|-a|--anomalies|--max-line)
            return;;
    esac
    COMPREPLY=($(compgen -W "--devices --types --fleet --list-types --seed --assets --start
        --duration --count --interval --jitter --rate --speed --live --events --truth --mtbf
        --lead --anomalies --faults --commands --format --output --unbuffered --dead-letter --stats --strict
        --quiet --max-line --help --version" -- "$cur"))
}
complete -F _iot_sim iot-sim
