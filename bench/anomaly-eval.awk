# Scores iot-anomaly output against iot-sim --truth labels (_anomaly, _anomalySensor).
# Input: annotated records with anomaly.<field>.isAnomaly for each field in FIELDS (comma list).
# An event = a run of records of one device where _anomaly = kind and _anomalySensor = field.
# An alert on that device+field during the event or within G samples after it detects it
# (delay = samples from the event start); any other alert is false. Prints per kind:
# events, detected, recall, median delay; then false alerts per device-day (DAYS given).
function str(name,   i, s) {
    i = index($0, "\"" name "\":\"")
    if (!i) return ""
    s = substr($0, i + length(name) + 4)
    return substr(s, 1, index(s, "\"") - 1)
}
BEGIN { nf = split(FIELDS, F, ","); if (!G) G = 30 }
{
    dev = str("deviceId"); kind = str("_anomaly"); sens = str("_anomalySensor")
    devs[dev] = 1
    a = index($0, "\"anomaly\":{"); tail = substr($0, a)
    for (j = 1; j <= nf; j++) {
        f = F[j]; k = dev SUBSEP f
        n = ++cnt[k]
        act = (kind != "" && kind != "none" && sens == f)
        if (act && (!on[k] || ekind[k] != kind)) {      # event starts
            on[k] = 1; ekind[k] = kind; estart[k] = n; edet[k] = 0; events[kind]++
        } else if (!act && on[k]) {
            on[k] = 0; eend[k] = n - 1; lastkind[k] = ekind[k]; lastdet[k] = edet[k]
        }
        q = index(tail, "\"" f "\":{"); if (nf == 1) q = 1
        seg = substr(tail, q); seg = substr(seg, 1, index(seg, "}"))
        if (index(seg, "\"isAnomaly\":true")) {
            if (on[k]) {
                if (!edet[k]) { edet[k] = 1; det[ekind[k]]++; d = n - estart[k]; delays[ekind[k], det[ekind[k]]] = d }
            } else if (eend[k] && n - eend[k] <= G) {
                ;  # end of an event (a shift going back): not false
            } else fa++
        }
    }
}
END {
    nd = 0; for (d in devs) nd++
    printf "%-8s %7s %8s %7s %13s\n", "kind", "events", "detected", "recall", "median-delay"
    for (kd in events) {
        m = det[kd] + 0
        # median delay by selection sort (small counts)
        for (i = 1; i <= m; i++) v[i] = delays[kd, i]
        for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
        med = m ? v[int((m + 1) / 2)] : -1
        printf "%-8s %7d %8d %7.3f %13s\n", kd, events[kd], m, m / events[kd], (m ? med : "-")
    }
    printf "false alerts: %d over %d devices x %g days = %.2f per device-day\n", fa, nd, DAYS, fa / (nd * DAYS)
}
