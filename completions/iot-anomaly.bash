# bash completion for iot-anomaly
_iot_anomaly() {
    local cur prev
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    case $prev in
        -m|--method) COMPREPLY=($(compgen -W "auto zscore mad ewma spikedip changepoint decompose t2" -- "$cur")); return;;
        --mode) COMPREPLY=($(compgen -W "spikes dips spikesanddips" -- "$cur")); return;;
        --martingale) COMPREPLY=($(compgen -W "power mixture" -- "$cur")); return;;
        --limits) COMPREPLY=($(compgen -W "longrun iid" -- "$cur")); return;;
        --trend) COMPREPLY=($(compgen -W "avg linefit none" -- "$cur")); return;;
        --ad-method) COMPREPLY=($(compgen -W "ctukey tukey" -- "$cur")); return;;
        --time-unit) COMPREPLY=($(compgen -W "s ms us ns auto" -- "$cur")); return;;
        -o|--output|--dead-letter|-s|--state|--acks|--learn|--model) COMPREPLY=($(compgen -f -- "$cur")); return;;
        -f|--field|--threshold|-w|--window|--warmup|--alpha|--confidence|--history|--epsilon|--seasonality|--test-points|--seasonality-threshold|-r|--rule|--renotify|--absent|--episode|--with|--max-keys|--baseline|--model-by|--explained|--hold|-k|--key|-t|--time-field|--max-line) return;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--field --method --threshold --window --warmup --alpha --confidence --history --mode --martingale --epsilon --seasonality --trend --test-points --ad-method --seasonality-threshold --rule --alerts --renotify --absent --episode --acks --with --state --baseline --learn --model --model-by --explained --hold --limits --max-keys --key --time-field --time-unit --output --unbuffered --dead-letter --stats --strict --quiet --max-line --append --help --version" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -F _iot_anomaly iot-anomaly
