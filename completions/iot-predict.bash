# bash completion for iot-predict
_iot_predict() {
    local cur prev
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    if [[ $COMP_CWORD -eq 1 ]]; then
        COMPREPLY=($(compgen -W "train tune score eval explain info --help --version" -- "$cur")); return
    fi
    case $prev in
        --task) COMPREPLY=($(compgen -W "classify regress" -- "$cur")); return;;
        --learner) COMPREPLY=($(compgen -W "gbdt linear" -- "$cur")); return;;
        --features) COMPREPLY=($(compgen -W "auto" -f -- "$cur")); return;;
        --time-unit) COMPREPLY=($(compgen -W "s ms us ns auto" -- "$cur")); return;;
        -o|--output|--dead-letter|-m|--model|--state) COMPREPLY=($(compgen -f -- "$cur")); return;;
        --label|--label-from|--horizon|--cap|--standardize-by|--regimes|--tag|--budget|--trials|--by|--reset-on|--trees|--learning-rate|--depth|--min-leaf|--subsample|--colsample|--l2|--seed|--folds|--threshold|--alert|--cooldown|--max-keys|-k|--key|-t|--time-field|--max-line) return;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--label --label-from --horizon --task --cap --features --standardize --standardize-by --regimes --health --reset-on --learner --trees --learning-rate --depth --min-leaf --subsample --colsample --l2 --seed --folds --threshold --progress --tag --budget --trials --model --by --alert --cooldown --alerts-only --state --max-keys --key --time-field --time-unit --output --unbuffered --dead-letter --stats --strict --quiet --max-line --append --help --version" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -F _iot_predict iot-predict
