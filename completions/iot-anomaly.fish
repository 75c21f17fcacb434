# fish completion for iot-anomaly
complete -c iot-anomaly -s f -l field -r -d "numeric fields to watch"
complete -c iot-anomaly -s m -l method -x -a "auto zscore mad ewma spikedip changepoint decompose t2" -d "detector"
complete -c iot-anomaly -l threshold -x
complete -c iot-anomaly -l warmup -x
complete -c iot-anomaly -l alpha -x
complete -c iot-anomaly -l confidence -x
complete -c iot-anomaly -l history -x
complete -c iot-anomaly -l epsilon -x
complete -c iot-anomaly -l seasonality -x
complete -c iot-anomaly -l test-points -x
complete -c iot-anomaly -l seasonality-threshold -x
complete -c iot-anomaly -l max-keys -x
complete -c iot-anomaly -l limits -x -a "longrun iid" -d "t2: component variances"
complete -c iot-anomaly -l baseline -x -d "t2: first N records or DURATION of each key are healthy"
complete -c iot-anomaly -l learn -r -F -d "t2: learn models from the whole input into FILE"
complete -c iot-anomaly -l model -r -F -d "t2: score with the models of FILE"
complete -c iot-anomaly -l model-by -x -d "t2: look models up by this field"
complete -c iot-anomaly -l explained -x -d "t2: variance the retained components explain"
complete -c iot-anomaly -l hold -x -d "t2: records below the limits that end a fault state"
complete -c iot-anomaly -l max-line -x
complete -c iot-anomaly -l append -d "append to -o FILE; cut back what a crash left uncommitted"
complete -c iot-anomaly -s w -l window -x -d "zscore/mad window"
complete -c iot-anomaly -l mode -x -a "spikes dips spikesanddips"
complete -c iot-anomaly -l martingale -x -a "power mixture"
complete -c iot-anomaly -l trend -x -a "avg linefit none"
complete -c iot-anomaly -l ad-method -x -a "ctukey tukey"
complete -c iot-anomaly -s r -l rule -x -d "NAME[/SEVERITY]: COND [for D] [clear COND [for D]] alarm rule"
complete -c iot-anomaly -s a -l alerts -d "write only alerts and alarm events"
complete -c iot-anomaly -l renotify -x -d "alarm update every DURATION while unacknowledged"
complete -c iot-anomaly -l absent -x -d "DEVICE_SILENT after DURATION of silence"
complete -c iot-anomaly -l acks -r -F -d "acknowledgements file, followed as it grows"
complete -c iot-anomaly -l episode -x -d "detector alerts as ANOMALY alarms, cleared after DURATION quiet"
complete -c iot-anomaly -l with -x -d "fields copied into alarm events"
complete -c iot-anomaly -s s -l state -r -F -d "state file"
complete -c iot-anomaly -s k -l key -x
complete -c iot-anomaly -s t -l time-field -x
complete -c iot-anomaly -l time-unit -x -a "s ms us ns auto"
complete -c iot-anomaly -s o -l output -r -F
complete -c iot-anomaly -s u -l unbuffered
complete -c iot-anomaly -l dead-letter -r -F
complete -c iot-anomaly -l stats
complete -c iot-anomaly -l strict
complete -c iot-anomaly -s q -l quiet
complete -c iot-anomaly -s h -l help
complete -c iot-anomaly -l version
