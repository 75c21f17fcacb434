# bash completion for iot-window
_iot_window() {
    local cur prev
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    case $prev in
        --label) COMPREPLY=($(compgen -W "end start" -- "$cur")); return;;
        --late) COMPREPLY=($(compgen -W "adjust drop dead-letter" -- "$cur")); return;;
        --fill) COMPREPLY=($(compgen -W "null zero prev linear" -- "$cur")); return;;
        --emit) COMPREPLY=($(compgen -W "final partial" -- "$cur")); return;;
        --evict) COMPREPLY=($(compgen -W "oldest" -- "$cur")); return;;
        --bad-value) COMPREPLY=($(compgen -W "reject skip" -- "$cur")); return;;
        --time-unit) COMPREPLY=($(compgen -W "s ms us ns auto" -- "$cur")); return;;
        -o|--output|--dead-letter|--state) COMPREPLY=($(compgen -f -- "$cur")); return;;
        --tumbling|--hopping|--sliding|--session|--count|--offset|--align|-k|--key|-t|--time-field|-a|--aggregates|--having|--lateness|--idle|--absent|--rolling|--series|--from|--to|--max-points|--max-keys|--max-line) return;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--tumbling --hopping --sliding --session --count --offset --align --label --key --time-field --time-unit --aggregates --having --bad-value --lateness --late --idle --absent --rolling --series --from --to --fill --max-points --state --emit --merge --max-keys --evict --output --unbuffered --dead-letter --stats --strict --quiet --max-line --append --help --version" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -F _iot_window iot-window
